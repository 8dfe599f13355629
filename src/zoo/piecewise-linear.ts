import type { ZooEntry } from "./entry.js";

export const PIECEWISE_LINEAR: ZooEntry[] = [
  { name: "identity", family: "piecewise-linear", source: "linear baseline", text: "x" },
  {
    name: "relu",
    family: "piecewise-linear",
    source: "Rectified Linear Units Improve Restricted Boltzmann Machines (Nair & Hinton 2010)",
    text: "relu(x)",
  },
  {
    name: "leaky-relu",
    family: "piecewise-linear",
    source: "Rectifier Nonlinearities Improve Neural Network Acoustic Models (Maas et al. 2013)",
    text: "max(x, slope * x) where slope = 0.01 fixed",
    notes: "slope 0.01 as in PyTorch; the max form holds for slopes below 1",
  },
  {
    name: "prelu",
    family: "piecewise-linear",
    source: "Delving Deep into Rectifiers (He et al. 2015)",
    text: "relu(x) + a * min(x, 0) where a = 0.25",
    notes:
      "one learnable slope per layer, initialised to 0.25 as in the paper; declare a per_channel for one per channel",
  },
  {
    name: "relu6",
    family: "piecewise-linear",
    source: "MobileNets (Howard et al. 2017)",
    text: "min(relu(x), 6)",
  },
  {
    name: "clipped-relu",
    family: "piecewise-linear",
    source:
      "ProAct: Progressive Training for Hybrid Clipped Activation Function to Enhance Resilience of DNNs",
    text: "min(relu(x), t) where t = 6",
    notes:
      "learnable threshold T, one per layer (ProAct uses one per neuron only in the last layer: declare t per_neuron there); initialised to 6",
  },
  {
    name: "hardtanh",
    family: "piecewise-linear",
    source: "PyTorch Hardtanh",
    text: "min(max(x, -1), 1)",
  },
  {
    name: "hard-sigmoid",
    family: "piecewise-linear",
    source: "Searching for MobileNetV3 (Howard et al. 2019)",
    text: "min(relu(x + 3), 6) / 6",
  },
  {
    name: "hard-swish",
    family: "piecewise-linear",
    source: "Searching for MobileNetV3 (Howard et al. 2019)",
    text: "x * min(relu(x + 3), 6) / 6",
  },
];
