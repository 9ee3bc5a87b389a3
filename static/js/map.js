// Draws the map of the public records by country (templates/public/_map.html) as SVG with
// the vendored d3-geo and topojson-client, over the vendored Natural Earth boundaries
// (world-atlas, fetched from this site). The figures are read from the table below the
// map, which holds them and works without this script; a country's row gives its name,
// its counts, its link into the registry and its shape's id (ISO 3166-1 numeric).
//
// Each country with records is a link: hovering or focusing it shows its counts, and
// selecting it (click or Enter) opens the registry filtered by it. Colours are classes
// (map-step-0 for none, map-step-1 to map-step-5 from light to dark, in site.css).
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var STEPS = 5;
  var WIDTH = 960;
  var ANTARCTICA = "010"; // no partnership there, and a fifth of the map's height

  function element(name, attributes, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (key) {
      node.setAttribute(key, attributes[key]);
    });
    if (parent) parent.appendChild(node);
    return node;
  }

  function readTable(section) {
    var table = section.querySelector("[data-map-table]");
    var measures = Array.prototype.map.call(
      table.querySelectorAll("thead th[data-measure]"),
      function (th) {
        return { key: th.dataset.measure, label: th.textContent.trim() };
      }
    );
    var countries = {};
    table.querySelectorAll("tbody tr[data-atlas-id]").forEach(function (row, order) {
      var link = row.querySelector("th a");
      countries[row.dataset.atlasId] = {
        name: row.querySelector("th").textContent.trim(),
        url: link ? link.getAttribute("href") : "",
        counts: Array.prototype.map.call(row.querySelectorAll("td"), function (cell) {
          return parseInt(cell.textContent, 10) || 0;
        }),
        order: order,
      };
    });
    return { measures: measures, countries: countries };
  }

  // Up to STEPS ranges of counts from 1 to max, each with its colour class, spread over the
  // scale so that two ranges are never next-door shades.
  function ranges(max) {
    var k = Math.min(STEPS, max);
    var result = [];
    for (var i = 0; i < k; i++) {
      result.push({
        low: Math.floor((max * i) / k) + 1,
        high: Math.floor((max * (i + 1)) / k),
        step: k === 1 ? STEPS : 1 + Math.round((i * (STEPS - 1)) / (k - 1)),
      });
    }
    return result;
  }

  function stepOf(count, scale) {
    for (var i = 0; i < scale.length; i++) {
      if (count && count <= scale[i].high) return scale[i].step;
    }
    return 0;
  }

  function draw(section, topology) {
    var data = readTable(section);
    var canvas = section.querySelector("[data-map-canvas]");
    var readout = section.querySelector("[data-map-readout]");
    var legend = section.querySelector("[data-map-legend]");
    var features = topojson
      .feature(topology, topology.objects.countries)
      .features.filter(function (feature) {
        return feature.id !== ANTARCTICA;
      });
    var world = { type: "FeatureCollection", features: features };
    var path = d3.geoPath(d3.geoEqualEarth().fitWidth(WIDTH, world)).digits(1);
    var height = Math.ceil(path.bounds(world)[1][1]);
    var svg = element("svg", {
      class: "map-svg",
      viewBox: "0 0 " + WIDTH + " " + height,
      width: WIDTH,
      height: height,
      "aria-label": section.dataset.labelMap,
    });
    var others = element("g", { class: "map-others" }, svg);
    var recorded = element("g", { class: "map-recorded" }, svg);
    var highlight = element("path", { class: "map-highlight", "aria-hidden": "true" }, svg);
    var shapes = [];
    features.forEach(function (feature) {
      var d = path(feature);
      var country = feature.id && data.countries[feature.id];
      if (!d) return;
      if (country) {
        shapes.push({ d: d, country: country });
      } else {
        var shape = element("path", { d: d, class: "map-step-0" }, others);
        shape.dataset.name = feature.properties.name;
      }
    });
    // In the table's order (by name), which is the order of the Tab key.
    shapes.sort(function (a, b) {
      return a.country.order - b.country.order;
    });
    shapes.forEach(function (shape) {
      shape.link = element("a", { href: shape.country.url }, recorded);
      shape.title = element("title", {}, shape.link);
      shape.path = element("path", { d: shape.d }, shape.link);
      shape.link.mapShape = shape;
    });
    var shown = null;

    function describe(country) {
      return (
        country.name +
        ": " +
        data.measures
          .map(function (measure, i) {
            return measure.label + " " + country.counts[i];
          })
          .join(", ")
      );
    }

    function show(shape) {
      shown = shape;
      highlight.setAttribute("d", shape.d);
      var name = document.createElement("strong");
      name.textContent = shape.country.name;
      var figures = data.measures.map(function (measure, i) {
        return measure.label + ": " + shape.country.counts[i];
      });
      readout.replaceChildren(name, " — " + figures.join(" · "));
    }

    function showOther(node) {
      shown = null;
      highlight.setAttribute("d", node.getAttribute("d"));
      var name = document.createElement("strong");
      name.textContent = node.dataset.name;
      readout.replaceChildren(name, " — " + section.dataset.labelNoRecords);
    }

    function swatch(step, text) {
      var item = document.createElement("li");
      var box = element("svg", { class: "map-swatch", viewBox: "0 0 16 16", "aria-hidden": "true" });
      element("rect", { width: 16, height: 16, class: "map-step-" + step }, box);
      item.append(box, " " + text);
      legend.appendChild(item);
    }

    function colour(index) {
      var max = Math.max.apply(
        null,
        [0].concat(
          shapes.map(function (shape) {
            return shape.country.counts[index];
          })
        )
      );
      var scale = ranges(max);
      shapes.forEach(function (shape) {
        var label = describe(shape.country);
        shape.path.setAttribute("class", "map-step-" + stepOf(shape.country.counts[index], scale));
        shape.title.textContent = label;
        shape.link.setAttribute("aria-label", label);
      });
      legend.replaceChildren();
      legend.setAttribute("aria-label", data.measures[index].label);
      swatch(0, "0 (" + section.dataset.labelNone + ")");
      scale.forEach(function (range) {
        swatch(range.step, range.low === range.high ? String(range.low) : range.low + "–" + range.high);
      });
      if (shown) show(shown);
      section.dataset.measure = data.measures[index].key;
    }

    svg.addEventListener("mouseover", function (event) {
      var link = event.target.closest("a");
      if (link && link.mapShape) show(link.mapShape);
      else if (event.target.dataset && event.target.dataset.name) showOther(event.target);
    });
    // Focus listeners on the HTML box around the map: Chromium makes an SVG element with
    // focus listeners focusable itself, an extra stop of the Tab key.
    canvas.addEventListener("focusin", function (event) {
      var link = event.target.closest("a");
      if (link && link.mapShape) show(link.mapShape);
    });
    svg.addEventListener("mouseleave", function () {
      var focused = document.activeElement;
      if (focused && focused.mapShape) show(focused.mapShape);
      else highlight.removeAttribute("d");
    });
    canvas.addEventListener("focusout", function (event) {
      if (!svg.contains(event.relatedTarget)) highlight.removeAttribute("d");
    });
    var inputs = section.querySelectorAll("[data-map-measures] input");
    inputs.forEach(function (input) {
      input.addEventListener("change", function () {
        var index = data.measures.findIndex(function (measure) {
          return measure.key === input.value;
        });
        if (input.checked && index >= 0) colour(index);
      });
    });

    canvas.appendChild(svg);
    var checked = section.querySelector("[data-map-measures] input:checked");
    colour(
      Math.max(
        0,
        data.measures.findIndex(function (measure) {
          return checked && measure.key === checked.value;
        })
      )
    );
    section.querySelector("[data-map-measures]").hidden = false;
    readout.hidden = false;
    legend.hidden = false;
    section.dataset.drawn = String(shapes.length);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof d3 === "undefined" || typeof topojson === "undefined") return;
    document.querySelectorAll("[data-map]").forEach(function (section) {
      fetch(section.dataset.boundaries, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("boundaries: " + response.status);
          return response.json();
        })
        .then(function (topology) {
          draw(section, topology);
        })
        .catch(function (error) {
          // The table stays: it holds every figure the map would show.
          section.dataset.drawn = "failed";
          console.warn("The map could not be drawn:", error);
        });
    });
  });
})();
