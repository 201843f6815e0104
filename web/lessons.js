// Guided lessons: a scene set in one click, and what to notice in it.
// Each scene holds the fields of the landscape view's scene (views/landscape/scene.js); the
// scenes themselves are data in ./lesson-scenes.js, which the build computes ahead of time.
//
// A lesson with "predict" asks the learner to commit to an answer before the runs are shown.
// Its `text` and `question` set the problem and must not give the answer away: words that
// would (the explanation's key terms) are listed in `keywords`, and e2e/test_lessons.py checks
// that none of them is on the page before the learner answers. The choices are the runs
// themselves, named as everywhere in the page (lib/labels.js). After the answer:
//   answer   how this run's numbers decide the right choice: "lowest" (lowest final loss of
//            the runs that did not diverge), "highest" (the highest) or "diverged" (the run
//            that diverged)
//   explain  (runs, label) -> two or three sentences with this run's numbers;
//            runs: the result's runs, label(i): run i's name in the page
//   tryIt    {text, apply(scene)}: one change to try next, applied to the scene
import { fmt } from "./lib/dom.js";
import { LESSON_SCENES } from "./lesson-scenes.js";

// A point as the page writes it: (x, y) with three significant digits.
const at = (p) => `(${fmt(p[0], 3)}, ${fmt(p[1], 3)})`;
const end = (r) => r.path[r.path.length - 1];
const f = (r) => fmt(r.final_loss, 2);

export const LESSONS = [
  {
    id: "valley",
    title: "Ill-conditioned valley",
    text: "A long, narrow bowl, turned by 30°: it is 50 times more curved across the valley than along it. "
      + "Three optimizers start on the valley's wall at (−1.8, 1.2) and take 80 steps each: "
      + "plain gradient descent (SGD, lr 0.038), SGD + momentum (lr 0.03, μ 0.7) and Adam (lr 0.2).",
    scene: LESSON_SCENES["valley"],
    predict: {
      question: "After 80 steps, which run has the lowest loss?",
      keywords: ["zig-zag", "2/50", "cancel", "hovers", "1/(1 − μ)"],
      answer: "lowest",
      explain: (runs, label) => `After 80 steps ${label(1)} is at f = ${f(runs[1])}, ${label(0)} at f = ${f(runs[0])} and ${label(2)} at f = ${f(runs[2])}. `
        + "Plain SGD's step must stay below 2/50 = 0.04 or it blows up across the valley; along the floor, where the curvature is only 1, "
        + "such a step shrinks the distance by just 3.8 % per step, so it zig-zags across and creeps along. "
        + "Momentum keeps 70 % of its velocity: the back-and-forth across the valley partly cancels from one step to the next, while the push along the floor, always the same way, adds up to about 1/(1 − μ) ≈ 3.3 steps. "
        + `Adam's steps stay about lr = 0.2 long however small the slope, so it arrives fast but then hovers around the minimum, ending at ${at(end(runs[2]))}.`,
      tryIt: { text: "Give SGD lr 0.041, just above 2/50, and watch it across the valley",
        apply: (scene) => { scene.optimizers[0].params.lr = 0.041; } },
    },
  },
  {
    id: "saddle",
    title: "Saddle point",
    text: "f(x, y) = x² − y² curves up along x and down along y: the origin is a saddle point, not a minimum, and the loss has no lower bound. "
      + "The start (−1.5, 0.001) lies almost on the ridge y = 0, where the slope along y is only 2 × 0.001 = 0.002. "
      + "Each optimizer takes 60 steps: SGD (lr 0.05), RMSprop (lr 0.02) and Adam (lr 0.05).",
    scene: LESSON_SCENES["saddle"],
    predict: {
      question: "Which run gets furthest down the saddle (lowest f) in 60 steps?",
      keywords: ["divide", "1.1", "bias", "running average"],
      answer: "lowest",
      explain: (runs, label) => `${label(1)} ends at f = ${f(runs[1])} with y = ${fmt(end(runs[1])[1], 3)}, ${label(2)} at f = ${f(runs[2])}, `
        + `while ${label(0)} only reaches f = ${f(runs[0])} with y = ${fmt(end(runs[0])[1], 3)}. `
        + "Gradient descent multiplies y by 1 + 2 × 0.05 = 1.1 per step: in 60 steps y grows about 300-fold, which from 0.001 is still only 0.3. "
        + "RMSprop and Adam divide each step by the recent size of the gradient, so even a slope of 0.002 gives a step about as long as their learning rate; "
        + "RMSprop's running average of squared gradients starts at zero and has no bias correction, so its first steps are even ten times longer.",
      tryIt: { text: "Start exactly on the ridge, at (−1.5, 0)", apply: (scene) => { scene.start = [-1.5, 0]; } },
    },
  },
  {
    id: "beale-momentum",
    title: "Beale with too much momentum",
    text: "Beale's function has a narrow curved valley leading to its minimum at (3, 0.5), and very steep walls away from it. "
      + "Two heavy balls (SGD + momentum, lr 0.01) start at (1, 1.4): one keeps 90 % of its velocity from step to step (μ = 0.9), "
      + "the other 99 % (μ = 0.99). Adam (lr 0.05) runs alongside; 300 steps each.",
    scene: LESSON_SCENES["beale-momentum"],
    predict: {
      question: "Which run flies off the map?",
      keywords: ["diverged", "overshoot", "1/(1 − μ)", "brake", "settled"],
      answer: "diverged",
      explain: (runs, label) => {
        const k = runs.findIndex((r) => r.diverged_at);
        const others = runs.map((r, i) => (i === k || r.diverged_at ? null : `${label(i)} ends at f = ${f(r)}`)).filter(Boolean).join(", ");
        return `${label(k)} diverged at step ${runs[k].diverged_at}. `
          + "A velocity that keeps a fraction μ of itself adds up to about 1/(1 − μ) gradient steps: 10 for μ = 0.9, but 100 for μ = 0.99. "
          + "That ball cannot brake in time: it overshoots the valley onto Beale's steep walls, where the gradient is larger still, and every step throws it further. "
          + `Meanwhile ${others}.`;
      },
      tryIt: { text: "Keep μ = 0.99 but give that run lr 0.001", apply: (scene) => { scene.optimizers[1].params.lr = 0.001; } },
    },
  },
  {
    id: "lr-too-high",
    title: "Learning rate too high",
    text: "The bowl f = ½(x² + 10·y²) is 10 times more curved along y than along x. "
      + "Three runs of plain gradient descent start at (−1.8, 1.2), with learning rates 0.15, 0.19 and 0.25, for 100 steps each.",
    scene: LESSON_SCENES["lr-too-high"],
    predict: {
      question: "Which learning rate makes its run diverge?",
      keywords: ["2/10", "overshoot", "stable", "1 − lr"],
      answer: "diverged",
      explain: (runs, label) => {
        const k = runs.findIndex((r) => r.diverged_at);
        return `${label(k)} diverged at step ${runs[k].diverged_at}; after 100 steps ${label(0)} is at f = ${f(runs[0])} and ${label(1)} at f = ${f(runs[1])}. `
          + "Along y, where the curvature is 10, one step multiplies y by 1 − lr × 10: −0.5 for lr 0.15 (it shrinks and changes sign), "
          + "−0.9 for lr 0.19 (it changes sign and shrinks slowly: the oscillation you see), −1.5 for lr 0.25 (each step overshoots the valley "
          + "and lands 1.5 times further out). Gradient descent is stable only while lr × 10 < 2, that is lr < 2/10 = 0.2.";
      },
      tryIt: { text: "Set the third run's lr to exactly 0.2", apply: (scene) => { scene.optimizers[2].params.lr = 0.2; } },
    },
  },
  {
    id: "rastrigin",
    title: "Rastrigin's local minima",
    text: "Rastrigin's function is a bowl covered with egg-crate bumps: a local minimum near every point with whole-number coordinates, "
      + "the global one at (0, 0). From (3.3, 2.8), SGD (lr 0.002), SGD + momentum (lr 0.004, μ 0.95) and Adam (lr 1) take 300 steps each.",
    scene: LESSON_SCENES["rastrigin"],
    predict: {
      question: "Which run ends with the lowest loss?",
      keywords: ["luck", "hops", "dimple", "basin"],
      answer: "lowest",
      explain: (runs, label) => `${label(0)} and ${label(1)} both end at f = ${f(runs[0])}, near ${at(end(runs[0]))}: `
        + "in the dimple nearest the start, because small steps only ever go downhill locally. "
        + `${label(2)}'s steps are about lr = 1 long, as wide as a bump, so it hops from basin to basin and ends at ${at(end(runs[2]))} with f = ${f(runs[2])}. `
        + "That is luck, not design: it did not find (0, 0), and another start sends it somewhere else.",
      tryIt: { text: "Give Adam lr 0.1", apply: (scene) => { scene.optimizers[2].params.lr = 0.1; } },
    },
  },
  {
    id: "noisy-schedule",
    title: "Warm-up + cosine versus a constant lr, with noisy gradients",
    text: "The bowl f = ½(x² + 4·y²), turned by 30°, with its minimum at (0, 0). Every gradient the optimizers see carries Gaussian noise "
      + "of standard deviation σ = 2, the same draws for both runs, as a mini-batch gradient would. Two runs of plain gradient descent start "
      + "at (−1.8, 1.2) and take 200 steps: one with a constant lr of 0.2; the other with the same lr under a warm-up + cosine schedule, "
      + "which raises the lr from 0.2/3 ≈ 0.067 to 0.2 over the first 20 steps, then lowers it along half a cosine to 0 at step 200. "
      + "Select a step to see the lr it used.",
    scene: LESSON_SCENES["noisy-schedule"],
    predict: {
      question: "After 200 steps, which run has the lower loss?",
      keywords: ["kick", "balance", "jitter", "comes to rest", "σ²"],
      answer: "lowest",
      explain: (runs, label) => `${label(0)} ends at ${at(end(runs[0]))} with f = ${f(runs[0])}; ${label(1)} ends at ${at(end(runs[1]))} with f = ${f(runs[1])}. `
        + "Both reach the bottom of the bowl within a few dozen steps; what differs is what happens there. "
        + "Each step adds a random kick of lr × noise to the position, while the pull back towards the minimum removes only a fraction lr × curvature of the distance "
        + "(0.2 × 1 = 0.2 along the bowl's flat axis, 0.2 × 4 = 0.8 along its steep one). "
        + "With a constant lr the two balance and the run keeps its jitter for ever: on average f ≈ lr σ² / (2(2 − lr h)) per axis, "
        + "0.22 + 0.33 ≈ 0.56 here, whatever the number of steps. "
        + "The schedule shrinks the kicks with the lr, so its run comes to rest near the minimum; its first 20 shorter steps (the warm-up) cost little in this bowl, "
        + "but where early gradients are large or unreliable, as at the start of a network's training, they keep the first steps from throwing the run away.",
      tryIt: { text: "Turn the noise off (σ = 0)", apply: (scene) => { delete scene.noise; } },
    },
  },
  {
    id: "sam-sharp-flat",
    title: "SAM in a sharp versus a flat minimum",
    text: "This f(x, y) = min(20((x − 1)² + y²), ½((x + 1)² + y²) + 0.3) has two minima: a deep, sharp one at (1, 0) with f = 0 and curvature 40, "
      + "whose basin reaches only about 0.3 towards the other, and a shallow, flat one at (−1, 0) with f = 0.3 and curvature 1. "
      + "Three runs start at (1.2, 0.25), inside the sharp basin, for 200 steps: SGD (lr 0.045), Adam (lr 0.05) and SAM (ρ = 0.1) with SGD (lr 0.045) as its base. "
      + "Before each step SAM moves ρ = 0.1 uphill along the gradient (its probe, drawn beside its path), takes the gradient there, "
      + "and lets SGD step from the original point with that gradient.",
    scene: LESSON_SCENES["sam-sharp-flat"],
    predict: {
      question: "After 200 steps, one run has a clearly higher loss than the other two. Which?",
      keywords: ["bounce", "thrown", "2 − lr", "generalise", "pays"],
      answer: "highest",
      explain: (runs, label) => `${label(0)} ends at ${at(end(runs[0]))} with f = ${f(runs[0])} and ${label(1)} at ${at(end(runs[1]))} with f = ${f(runs[1])}: `
        + `both settle in the sharp minimum. ${label(2)} ends at ${at(end(runs[2]))} with f = ${f(runs[2])}: in the flat one. `
        + "Near a minimum of curvature h, SAM's probe always lies ρ further uphill, so the gradient it steps with never vanishes: "
        + "with SGD as its base it bounces across the minimum between ±a, where a = lr · h · ρ / (2 − lr · h). "
        + "In the sharp minimum a = 0.045 × 40 × 0.1 / (2 − 1.8) = 0.9, three times further than the basin's edge 0.3 away, so SAM is thrown out of it; "
        + "in the flat one a = 0.045 × 1 × 0.1 / (2 − 0.045) ≈ 0.002, so it stays there, 0.002 from (−1, 0). "
        + "Plain SGD with the same lr is stable in the sharp minimum (lr · h = 1.8 < 2). "
        + "SAM pays 0.3 in loss on this function; its bet, for networks, is that a flat minimum, where nearby weights have nearly the same loss, generalises better.",
      tryIt: { text: "Give SAM ρ = 0.01", apply: (scene) => { scene.optimizers[2].params.rho = 0.01; } },
    },
  },
  {
    id: "rosenbrock",
    title: "Rosenbrock's banana valley",
    text: "Rosenbrock's function has a curved, banana-shaped valley that ends at the minimum (1, 1). Finding the valley is easy; "
      + "following it is hard, because its floor is nearly flat while its walls are steep. In 1000 steps plain gradient descent (lr 0.0005) "
      + "is still crawling along the floor's far arm; Nesterov momentum (lr 0.0005) and Adam (lr 0.05) reach the neighbourhood of (1, 1); "
      + "RMSprop (lr 0.005) is still on its way. Click a path to inspect a step.",
    scene: LESSON_SCENES["rosenbrock"],
  },
];

// The run a predict lesson's answer is, from this run's numbers (comparisons only); null
// when the numbers do not decide it (no run diverged, or every run did).
// "highest": the highest final loss of the runs that did not diverge.
export function rightAnswer(lesson, runs) {
  if (lesson.predict.answer === "diverged") {
    const k = runs.findIndex((r) => r.diverged_at);
    return k >= 0 && runs.filter((r) => r.diverged_at).length === 1 ? k : null;
  }
  const sign = lesson.predict.answer === "highest" ? -1 : 1;
  let best = null;
  runs.forEach((r, i) => { if (!r.diverged_at && (best === null || sign * r.final_loss < sign * runs[best].final_loss)) best = i; });
  return best;
}
