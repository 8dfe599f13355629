import { builtinModules } from "node:module";
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * The layers of src/, lowest first: a folder imports its own files and the layers below it, never
 * a layer above nor another folder of its own layer (so the code can be read, and tested, bottom
 * up). src/data/node/ (files, downloads) is data's Node half: only store, exec, report and cli
 * import it.
 */
const LAYERS = [
  ["base", "numeric"],
  ["engine"],
  ["expr"],
  ["zoo", "data"],
  ["nn", "analysis"],
  ["train"],
  ["bench"],
  ["search"],
  ["store", "exec"],
  ["report"],
  ["cli"],
];
const NODE_IMPORTERS = new Set(["store", "exec", "report", "cli"]);
/** Folders a browser build will use: no Node built-ins. */
const BROWSER_SAFE = LAYERS.slice(0, LAYERS.indexOf(LAYERS.find((l) => l.includes("store"))));

/** A relative import of top-level folder `folder` of src/ (no folder below src/ bears a layer's name). */
const intoFolder = (folder) => `^(\\.\\./)+${folder}(/|$)`;

function layerRule(folder, { nodeHalf = false } = {}) {
  const level = LAYERS.findIndex((layer) => layer.includes(folder));
  const forbidden = LAYERS.flatMap((layer, l) =>
    l > level || l === level ? layer.filter((other) => other !== folder) : [],
  );
  const patterns = forbidden.map((other) => ({
    regex: intoFolder(other),
    message: `src/${folder} may not import src/${other}: a layer imports only itself and the layers below it (LAYERS in eslint.config.js).`,
  }));
  if (!NODE_IMPORTERS.has(folder) && !nodeHalf)
    patterns.push({
      regex: folder === "data" ? "^(\\./|(\\.\\./)+)node/" : "^(\\.\\./)+data/node/",
      message: `src/${folder} may not import src/data/node (Node file loaders): only store, exec, report and cli do; plan with the task metadata of src/data/catalog.ts.`,
    });
  const browserSafe = BROWSER_SAFE.flat().includes(folder) && !nodeHalf;
  const nodeMessage = `src/${folder} stays free of Node built-ins so a browser build can use it; files, processes and networks live in data/node, store, exec, report and cli.`;
  if (browserSafe) patterns.push({ regex: "^node:", message: nodeMessage });
  const paths = browserSafe ? builtinModules.map((name) => ({ name, message: nodeMessage })) : [];
  return { "no-restricted-imports": ["error", { paths, patterns }] };
}

const layerConfigs = LAYERS.flat().map((folder) => ({
  files: [`src/${folder}/**/*.ts`],
  ...(folder === "data" ? { ignores: ["src/data/node/**"] } : {}),
  rules: layerRule(folder),
}));

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".devcarry/", "scratch/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      "no-eval": "error",
      "no-new-func": "error",
    },
  },
  ...layerConfigs,
  { files: ["src/data/node/**/*.ts"], rules: layerRule("data", { nodeHalf: true }) },
);
