/** The maintenance schedules' settings, from the environment. */
import { describe, expect, test } from "vitest";
import { MaintenanceSettingError, maintenanceOptionsOf } from "../../src/github/maintenance.ts";
import { isHandled } from "../../src/github/redeliver.ts";

describe("maintenanceOptionsOf", () => {
  test("defaults: a reconciler pass a minute, a redelivery pass every five, 30 minutes of grace", () => {
    expect(maintenanceOptionsOf({})).toEqual({
      reconcileEveryMs: 60_000,
      redeliverEveryMs: 300_000,
      reconciler: { graceMs: 1_800_000 },
    });
  });

  test("each variable sets its schedule; redelivery 0 turns it off", () => {
    expect(
      maintenanceOptionsOf({
        HEIMDALL_RECONCILE_SECONDS: "5",
        HEIMDALL_REDELIVER_SECONDS: "0",
        HEIMDALL_STUCK_GRACE_MINUTES: "2.5",
      }),
    ).toEqual({ reconcileEveryMs: 5000, redeliverEveryMs: 0, reconciler: { graceMs: 150_000 } });
  });

  test("a bad value is refused, naming the variable", () => {
    expect(() => maintenanceOptionsOf({ HEIMDALL_RECONCILE_SECONDS: "0" })).toThrow(MaintenanceSettingError);
    expect(() => maintenanceOptionsOf({ HEIMDALL_REDELIVER_SECONDS: "soon" })).toThrow(
      "HEIMDALL_REDELIVER_SECONDS=soon: must be a number, at least 0",
    );
  });
});

describe("isHandled: the deliveries the redelivery pass may ask for again", () => {
  test("the events and actions the app handles, and no others", () => {
    expect(isHandled("push", null)).toBe(true);
    for (const action of ["opened", "synchronize", "reopened"]) expect(isHandled("pull_request", action)).toBe(true);
    expect(isHandled("check_run", "rerequested")).toBe(true);
    expect(isHandled("check_run", "requested_action")).toBe(true);
    expect(isHandled("check_suite", "rerequested")).toBe(true);
    expect(isHandled("pull_request", "closed")).toBe(false);
    expect(isHandled("check_run", "created")).toBe(false);
    expect(isHandled("check_suite", "requested")).toBe(false);
    expect(isHandled("issues", "opened")).toBe(false);
  });
});
