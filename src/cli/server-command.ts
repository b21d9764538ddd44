/** `heimdall-build server`: settings from the environment (Probot's own variables, plus .env.example's). */
import { createProbot } from "probot";
import type { CliIo } from "./program.ts";
import { untilStopSignal } from "./stop-signals.ts";

export async function serverCommand(io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const missing = ["APP_ID", "WEBHOOK_SECRET", "DATABASE_URL", "REDIS_URL"].filter((name) => !env[name]);
  if (!env.PRIVATE_KEY && !env.PRIVATE_KEY_PATH) missing.push("PRIVATE_KEY or PRIVATE_KEY_PATH");
  if (missing.length > 0) {
    io.stderr(`heimdall-build server: set ${missing.join(", ")} (see .env.example)\n`);
    return 2;
  }
  const { startServer } = await import("../server.ts");
  const { WriterOctokit } = await import("../github/octokit.ts");
  const { createObjectStore, storageEnvOf } = await import("../storage/object-store.ts");
  const { UrlSigner } = await import("../storage/url-signer.ts");
  const { maintenanceOptionsOf } = await import("../github/maintenance.ts");
  let maintenance: ReturnType<typeof maintenanceOptionsOf>;
  try {
    maintenance = maintenanceOptionsOf(env);
  } catch (error) {
    io.stderr(`heimdall-build server: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const { dashboardAuthSettingsOf, DashboardAuthSettingsError } = await import("../api/dashboard-auth.ts");
  let dashboardAuth: ReturnType<typeof dashboardAuthSettingsOf>;
  try {
    dashboardAuth = dashboardAuthSettingsOf(env);
  } catch (error) {
    io.stderr(`heimdall-build server: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const rateText = env.HEIMDALL_API_RATE_LIMIT?.trim();
  if (rateText !== undefined && rateText !== "" && !/^[1-9]\d{0,6}$/.test(rateText)) {
    io.stderr(
      `heimdall-build server: HEIMDALL_API_RATE_LIMIT is calls a minute per token (1 or more), not '${rateText}'\n`,
    );
    return 2;
  }
  // createProbot reads APP_ID, PRIVATE_KEY(_PATH), WEBHOOK_SECRET, LOG_LEVEL, GHE_HOST, GHE_PROTOCOL...
  // but not REDIS_URL: with it Probot opens two Redis connections of its own for its throttle,
  // which WriterOctokit turns off (writes go through the app's limiter, github/writer.ts).
  const probot = createProbot({ env: { ...env, REDIS_URL: undefined }, overrides: { Octokit: WriterOctokit } });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      probot,
      dashboardAuth,
      databaseUrl: env.DATABASE_URL ?? "",
      redisUrl: env.REDIS_URL ?? "",
      port: Number(env.PORT ?? 3000),
      host: env.HOST ?? "0.0.0.0",
      webhookPath: env.WEBHOOK_PATH ?? "/api/github/webhooks",
      publicUrl: env.PUBLIC_URL ?? null,
      // The same store and secret as the workers': the API serves their links.
      store: createObjectStore(storageEnvOf(env)),
      signer: env.HEIMDALL_URL_SECRET ? new UrlSigner(env.HEIMDALL_URL_SECRET) : null,
      maintenance,
      ...(rateText ? { rateLimit: { max: Number(rateText), windowMs: 60_000 } } : {}),
      // Probot's own GitHub Enterprise Server settings say where its pages are too.
      ...(env.GHE_HOST ? { githubUrl: `${env.GHE_PROTOCOL ?? "https"}://${env.GHE_HOST}` } : {}),
      ...(env.HEIMDALL_REDIS_PREFIX ? { prefix: env.HEIMDALL_REDIS_PREFIX } : {}),
    });
  } catch (error) {
    if (!(error instanceof DashboardAuthSettingsError)) throw error;
    io.stderr(`heimdall-build server: ${error.message}\n`);
    return 2;
  }
  io.stderr(`heimdall-build server: listening on ${server.url}\n`);
  const signal = await untilStopSignal(io, "server");
  io.stderr(`heimdall-build server: ${signal}: stopping\n`);
  await server.close();
  return 0;
}
