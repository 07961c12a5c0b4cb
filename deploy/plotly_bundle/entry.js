// A plotly.js build with only what the usage chart draws: stacked bars (the bar trace; plotly
// always carries scatter), hover labels and the legend on cartesian axes. src/core.js also
// registers annotations, images, update menus, sliders, range slider and selector, selections,
// grid, error bars, colour bars, snapshots and the plot schema; the chart uses none of them, so
// they stay out. Shapes and the mode bar stay in although the chart shows neither: the legend
// reads layout.shapes and the plot routine reads the mode bar's layout defaults.
// Built by build.sh against the pinned plotly.js release; the output is assets/plotly-bar.min.js.
require('native-promise-only');
require('./build/plotcss');

var Registry = require('./src/registry');
var plotApi = require('./src/plot_api');
var Plots = require('./src/plots/plots');

Object.keys(plotApi).forEach(function(name) {
    Registry.register({moduleType: 'apiMethod', name: name, fn: plotApi[name]});
});
Registry.register(require('./src/traces/scatter'));
Registry.register([
    require('./src/components/shapes'), // the legend reads layout.shapes (legend entries of shapes)
    require('./src/components/colorscale'),
    require('./src/components/legend'),
    require('./src/components/fx'),
    require('./src/components/modebar'), // hidden (displayModeBar: false), but its layout defaults are read
]);
Registry.register([require('./src/locale-en'), require('./src/locale-en-us')]);
Registry.register(require('./src/traces/bar'));

// What react-plotly.js's factory calls: react, purge and Plots.resize.
module.exports = {
    version: require('./src/version').version,
    register: Registry.register,
    newPlot: plotApi.newPlot,
    react: plotApi.react,
    purge: plotApi.purge,
    relayout: plotApi.relayout,
    restyle: plotApi.restyle,
    Plots: {resize: Plots.resize},
};
