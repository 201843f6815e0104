// "Race it": the landscape view with the learner's optimizer next to the reference it was
// checked against, on one scene, with the hyper-parameters the check used. The learner
// wrote the code in this tab, so it is marked trusted first and the landscape runs it
// without asking (code from a link would be shown and confirmed first: web/codelab/).
import { serialize, MAX_LABEL_CHARS } from "../../lib/urlstate.js";
import { trustCode } from "../../codelab/trust.js";

// A well-conditioned tilted bowl: every exercise's optimizer gets near the minimum in
// RACE_STEPS steps with the check's hyper-parameters, and the two paths are easy to follow.
export const RACE_SCENE = { function: "quadratic", function_params: { condition: 10, angle: 30 }, start: [-1.8, 1.2] };
export const RACE_STEPS = 200;
const REFERENCE_COLOUR = "#2563eb";
const LEARNER_COLOUR = "#dc2626";

// A small network for the exercises that race there (Muon): the view's default data and model,
// fewer epochs so the learner's Python steps finish in seconds.
export const RACE_NETWORK_EPOCHS = 20;

// The link (a hash) for exercise `ex` ({id, title, reference, hyper, race, race_view}) and the
// code: `race` is the reference's entry (SAM's with its base), raced in `race_view`.
export function raceHash(ex, code) {
  const hyper = { ...ex.hyper };
  const reference = ex.race || { name: ex.reference, params: hyper };
  const optimizers = [
    { ...reference, color: REFERENCE_COLOUR },
    { name: "custom", label: `My ${ex.title.split(": ")[0]}`.slice(0, MAX_LABEL_CHARS), code, hyper, color: LEARNER_COLOUR },
  ];
  if (ex.race_view === "network") return serialize("network", { epochs: RACE_NETWORK_EPOCHS, optimizers, train: 1 });
  return serialize("landscape", {
    ...RACE_SCENE,
    function_params: RACE_SCENE.function_params,
    steps: RACE_STEPS,
    optimizers,
  });
}

export async function raceIt(ex, code) {
  await trustCode(code);
  location.hash = raceHash(ex, code);
}
