// Used by build.sh from inside the unpacked plotly.js package; mirrors plotly.js's own
// esbuild-config.js (global is window, no AMD) with ES module output for a dynamic import.
export default {
    input: "uc-entry.js",
    platform: "browser",
    moduleTypes: { ".css": "empty" }, // maplibre's CSS, required only by map traces
    transform: { define: { global: "window", "define.amd": "false" } },
    output: {
        file: process.env.PLOTLY_BAR_OUT,
        format: "esm",
        minify: true,
        banner: `/*! plotly.js ${process.env.PLOTLY_VERSION} (MIT License, Plotly, Inc.), partial build for the usage chart: bar, legend, hover. Rebuild: deploy/plotly_bundle/build.sh */`,
    },
};
