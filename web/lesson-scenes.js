// The lessons' scenes (web/lessons.js) as data. The build reads this file too
// (buildtool/scenes.py computes each scene ahead of time into dist/scenes/, so the first
// picture needs no Python): what lies between the two markers must stay plain JSON.
// Each scene holds the fields of the landscape view's scene (views/landscape/scene.js).
export const LESSON_SCENES = /*@JSON@*/{
  "valley": {
    "function": "quadratic", "function_params": {"condition": 50, "angle": 30}, "start": [-1.8, 1.2], "steps": 80,
    "optimizers": [{"name": "sgd", "params": {"lr": 0.038}}, {"name": "momentum", "params": {"lr": 0.03, "momentum": 0.7}},
      {"name": "adam", "params": {"lr": 0.2}}]
  },
  "saddle": {
    "function": "saddle", "function_params": {}, "start": [-1.5, 0.001], "steps": 60,
    "optimizers": [{"name": "sgd", "params": {"lr": 0.05}}, {"name": "rmsprop", "params": {"lr": 0.02}}, {"name": "adam", "params": {"lr": 0.05}}]
  },
  "beale-momentum": {
    "function": "beale", "function_params": {}, "start": [1.0, 1.4], "steps": 300,
    "optimizers": [{"name": "momentum", "params": {"lr": 0.01, "momentum": 0.9}}, {"name": "momentum", "params": {"lr": 0.01, "momentum": 0.99}},
      {"name": "adam", "params": {"lr": 0.05}}]
  },
  "lr-too-high": {
    "function": "quadratic", "function_params": {"condition": 10, "angle": 0}, "start": [-1.8, 1.2], "steps": 100,
    "optimizers": [{"name": "sgd", "params": {"lr": 0.15}}, {"name": "sgd", "params": {"lr": 0.19}}, {"name": "sgd", "params": {"lr": 0.25}}]
  },
  "rastrigin": {
    "function": "rastrigin", "function_params": {}, "start": [3.3, 2.8], "steps": 300,
    "optimizers": [{"name": "sgd", "params": {"lr": 0.002}}, {"name": "momentum", "params": {"lr": 0.004, "momentum": 0.95}},
      {"name": "adam", "params": {"lr": 1.0}}]
  },
  "rosenbrock": {
    "function": "rosenbrock", "function_params": {}, "start": [-1.5, 2.0], "steps": 1000,
    "optimizers": [{"name": "sgd", "params": {"lr": 0.0005}}, {"name": "nesterov", "params": {"lr": 0.0005}}, {"name": "adam", "params": {"lr": 0.05}},
      {"name": "rmsprop", "params": {"lr": 0.005}}]
  },
  "noisy-schedule": {
    "function": "quadratic", "function_params": {"condition": 4, "angle": 30}, "start": [-1.8, 1.2], "steps": 200,
    "noise": {"std": 2, "seed": 6},
    "optimizers": [{"name": "sgd", "params": {"lr": 0.2}},
      {"name": "sgd", "params": {"lr": 0.2}, "schedule": {"name": "warmup_cosine", "warmup_steps": 20, "total_steps": 200}}]
  },
  "sam-sharp-flat": {
    "function": "custom", "function_params": {}, "expression": "min(20*((x - 1)**2 + y**2), 0.5*((x + 1)**2 + y**2) + 0.3)",
    "domain": [[-2.5, 2.5], [-2, 2]], "start": [1.2, 0.25], "steps": 200,
    "optimizers": [{"name": "sgd", "params": {"lr": 0.045}}, {"name": "adam", "params": {"lr": 0.05}},
      {"name": "sam", "params": {"rho": 0.1}, "base": {"name": "sgd", "params": {"lr": 0.045}}}]
  }
}/*@END@*/;
