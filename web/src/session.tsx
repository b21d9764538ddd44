/** Who is signed in: read once from GET /auth/session; the CSRF token it gives goes with every change. */
import { createContext, type ReactNode, useContext, useEffect, useState } from "react";
import { api, setCsrfToken } from "./api/client.ts";
import type { Session } from "./api/types.ts";

type SessionState =
  | { readonly status: "loading" }
  | { readonly status: "ready"; readonly session: Session }
  | { readonly status: "error"; readonly message: string };

const SessionContext = createContext<SessionState>({ status: "loading" });

export function SessionProvider({ children }: { readonly children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: "loading" });
  useEffect(() => {
    api<Session>("/auth/session").then(
      (session) => {
        setCsrfToken(session.csrf_token);
        setState({ status: "ready", session });
      },
      (error: unknown) =>
        setState({ status: "error", message: error instanceof Error ? error.message : String(error) }),
    );
  }, []);
  return <SessionContext value={state}>{children}</SessionContext>;
}

export function useSession(): SessionState {
  return useContext(SessionContext);
}
