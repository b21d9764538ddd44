/** The shell: who is signed in, the navigation, and the pages by route (every page deep-links). */
import Alert from "@mui/material/Alert";
import AppBar from "@mui/material/AppBar";
import Avatar from "@mui/material/Avatar";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Container from "@mui/material/Container";
import CssBaseline from "@mui/material/CssBaseline";
import LinearProgress from "@mui/material/LinearProgress";
import Stack from "@mui/material/Stack";
import { ThemeProvider } from "@mui/material/styles";
import Toolbar from "@mui/material/Toolbar";
import Typography from "@mui/material/Typography";
import { lazy, Suspense } from "react";
import { Navigate, NavLink, Route, Routes, useLocation } from "react-router";
import { api } from "./api/client.ts";
import { BuildPage } from "./pages/BuildPage.tsx";
import { BuildsPage } from "./pages/BuildsPage.tsx";
import { QueuePage } from "./pages/QueuePage.tsx";
import { SessionProvider, useSession } from "./session.tsx";
import { theme } from "./theme.ts";

// Pages most visits never open load when opened: the charts alone are half the bundle.
const StatusPage = lazy(() => import("./pages/StatusPage.tsx").then((m) => ({ default: m.StatusPage })));
const ConfigurationsPage = lazy(() =>
  import("./pages/ConfigurationsPage.tsx").then((m) => ({ default: m.ConfigurationsPage })),
);
const TokensPage = lazy(() => import("./pages/TokensPage.tsx").then((m) => ({ default: m.TokensPage })));

export function App() {
  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <SessionProvider>
        <Shell />
      </SessionProvider>
    </ThemeProvider>
  );
}

const NAV = [
  { to: "/builds", label: "Builds" },
  { to: "/queue", label: "Queue" },
  { to: "/status", label: "Status" },
  { to: "/configurations", label: "Configurations" },
] as const;

function Shell() {
  const state = useSession();
  const location = useLocation();
  if (state.status === "error")
    return (
      <Alert severity="error" sx={{ m: 2 }}>
        The server does not answer: {state.message}
      </Alert>
    );
  const session = state.status === "ready" ? state.session : null;
  const user = session?.user ?? null;
  // While the session is read, the page is already asked for (one round trip less); without a user, sign-in.
  const loading = state.status === "loading";
  return (
    <>
      <AppBar position="static" color="default" elevation={0} sx={{ borderBottom: 1, borderColor: "divider" }}>
        <Toolbar component="nav" aria-label="Main" sx={{ gap: 1 }}>
          <Typography variant="h6" component="span" sx={{ mr: 2 }}>
            heimdall-build
          </Typography>
          {user &&
            [...NAV, ...(user.admin ? [{ to: "/settings/tokens", label: "Tokens" }] : [])].map((item) => (
              <Button
                key={item.to}
                component={NavLink}
                to={item.to}
                color="inherit"
                sx={{ "&.active": { textDecoration: "underline" } }}
              >
                {item.label}
              </Button>
            ))}
          <Box sx={{ flexGrow: 1 }} />
          {user && (
            <Stack direction="row" spacing={1} sx={{ alignItems: "center" }}>
              {user.avatar_url && <Avatar src={user.avatar_url} alt="" sx={{ width: 28, height: 28 }} />}
              <Typography aria-label="Signed in as">{user.login}</Typography>
              {session?.mode === "github" && (
                <Button
                  color="inherit"
                  onClick={async () => {
                    await api("/auth/logout", { method: "POST" });
                    window.location.assign("/");
                  }}
                >
                  Sign out
                </Button>
              )}
            </Stack>
          )}
        </Toolbar>
      </AppBar>
      <Container component="main" maxWidth="xl" sx={{ py: 3 }}>
        {user || loading ? (
          <Suspense fallback={<LinearProgress aria-label="Loading the page" />}>
            <Routes>
              <Route path="/" element={<Navigate to="/builds" replace />} />
              <Route path="/builds" element={<BuildsPage />} />
              {/* One route for a build and its cells: choosing a cell keeps the page (and its build) as it is. */}
              <Route path="/builds/:id/*" element={<BuildPage />} />
              <Route path="/queue" element={<QueuePage />} />
              <Route path="/status" element={<StatusPage />} />
              <Route path="/configurations" element={<ConfigurationsPage />} />
              <Route path="/configurations/:name" element={<ConfigurationsPage />} />
              <Route path="/settings/tokens" element={<TokensPage />} />
              <Route path="*" element={<Alert severity="warning">No page here.</Alert>} />
            </Routes>
          </Suspense>
        ) : (
          <SignIn returnTo={location.pathname + location.search} />
        )}
      </Container>
    </>
  );
}

function SignIn({ returnTo }: { readonly returnTo: string }) {
  return (
    <Stack spacing={2} sx={{ alignItems: "flex-start" }}>
      <Typography variant="h5" component="h1">
        Sign in
      </Typography>
      <Typography>
        You see the builds of the repositories this app is installed on and that you can read on GitHub.
      </Typography>
      <Button variant="contained" href={`/auth/github/login?return_to=${encodeURIComponent(returnTo)}`}>
        Sign in with GitHub
      </Button>
    </Stack>
  );
}
