// Guided lessons: a scene set in one click, and what to notice in it.
// Each scene holds the fields of the landscape view's scene (views/landscape/scene.js).
// A lesson with "predict" asks the learner to commit to an answer before the run is shown.
export const LESSONS = [
  {
    id: "valley",
    title: "Ill-conditioned valley",
    text: "The bowl is 50 times steeper across than along. Plain gradient descent with nearly the largest stable step zig-zags across the valley at every step and creeps along it. Momentum (μ = 0.7) damps the zig-zag and builds speed along the floor; Adam rescales each coordinate and takes an almost straight line, but its fixed step size keeps it hovering near the end.",
    scene: {
      function: "quadratic", function_params: { condition: 50, angle: 30 }, start: [-1.8, 1.2], steps: 80,
      optimizers: [{ name: "sgd", params: { lr: 0.038 } }, { name: "momentum", params: { lr: 0.03, momentum: 0.7 } }, { name: "adam", params: { lr: 0.2 } }],
    },
    predict: { question: "Which optimizer gets closest to the minimum in 80 steps?", choices: ["sgd", "momentum", "adam"] },
  },
  {
    id: "saddle",
    title: "Saddle point",
    text: "Starting almost exactly on the ridge of x² − y², the gradient along y is tiny. Plain gradient descent takes a long time to notice it can go down; RMSProp and Adam divide by the gradient's size, so even a tiny slope gives a full-size step.",
    scene: {
      function: "saddle", function_params: {}, start: [-1.5, 0.001], steps: 60,
      optimizers: [{ name: "sgd", params: { lr: 0.05 } }, { name: "rmsprop", params: { lr: 0.02 } }, { name: "adam", params: { lr: 0.05 } }],
    },
  },
  {
    id: "beale-momentum",
    title: "Beale with too much momentum",
    text: "With momentum 0.9 the heavy ball rolls into Beale's narrow valley and settles. With 0.99 it keeps almost all of its speed, overshoots the curve and flies off the map: watch for \"diverged at step k\".",
    scene: {
      function: "beale", function_params: {}, start: [1.0, 1.4], steps: 300,
      optimizers: [{ name: "momentum", params: { lr: 0.01, momentum: 0.9 } }, { name: "momentum", params: { lr: 0.01, momentum: 0.99 } },
        { name: "adam", params: { lr: 0.05 } }],
    },
  },
  {
    id: "lr-too-high",
    title: "Learning rate too high",
    text: "On a bowl whose steepest curvature is 10, gradient descent is stable only for lr < 2/10 = 0.2. At 0.15 it converges, at 0.19 it oscillates but still converges, at 0.25 every step overshoots further than the last and the run diverges.",
    scene: {
      function: "quadratic", function_params: { condition: 10, angle: 0 }, start: [-1.8, 1.2], steps: 100,
      optimizers: [{ name: "sgd", params: { lr: 0.15 } }, { name: "sgd", params: { lr: 0.19 } }, { name: "sgd", params: { lr: 0.25 } }],
    },
    predict: { question: "Which of the three learning rates diverges?", choices: ["0.15", "0.19", "0.25"] },
  },
  {
    id: "rastrigin",
    title: "Rastrigin's local minima",
    text: "Rastrigin is a bowl covered in egg-crate bumps. Small steps, with or without momentum, fall into the nearest dimple and stay there. Only a very large step (Adam with lr 1) jumps to another basin — by luck, not by design.",
    scene: {
      function: "rastrigin", function_params: {}, start: [3.3, 2.8], steps: 300,
      optimizers: [{ name: "sgd", params: { lr: 0.002 } }, { name: "momentum", params: { lr: 0.004, momentum: 0.95 } },
        { name: "adam", params: { lr: 1.0 } }],
    },
  },
  {
    id: "rosenbrock",
    title: "Rosenbrock's banana valley",
    text: "Finding the curved valley is easy; following it to (1, 1) is hard, because the valley floor is nearly flat while its walls are steep. Plain gradient descent crawls; Nesterov momentum and Adam make steady progress along the floor.",
    scene: {
      function: "rosenbrock", function_params: {}, start: [-1.5, 2.0], steps: 1000,
      optimizers: [{ name: "sgd", params: { lr: 0.0005 } }, { name: "nesterov", params: { lr: 0.0005 } }, { name: "adam", params: { lr: 0.05 } },
        { name: "rmsprop", params: { lr: 0.005 } }],
    },
  },
];
