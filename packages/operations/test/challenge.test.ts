import { describe, expect, it } from "vitest";
import { challengeOptions, DEFAULT_CHALLENGE, drawActions } from "../src/challenge.js";

describe("drawing a challenge", () => {
  it("asks distinct actions from the configured ones, in every order", () => {
    const options = challengeOptions({ steps: 2 }, true);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const actions = drawActions(options);
      expect(new Set(actions).size).toBe(2);
      seen.add(actions.join(","));
    }
    // Three actions two at a time: six orders, and 200 draws miss one with probability about 1e-15.
    expect(seen.size).toBe(6);
  });

  it("leaves blinks out where the landmarks give no eyelids, and refuses more steps than actions", () => {
    expect(challengeOptions({}, false)).toMatchObject({ actions: ["turn-left", "turn-right"], steps: 2 });
    expect(challengeOptions({ actions: ["blink", "turn-left"] }, false)).toMatchObject({ actions: ["turn-left"], steps: 1 });
    expect(challengeOptions({}, true).actions).toEqual(DEFAULT_CHALLENGE.actions);
    expect(() => challengeOptions({ actions: ["blink"], steps: 2 }, true)).toThrow(/1 to 1 actions/);
  });
});
