// Bourse chart adapter: one TradingView lightweight-charts (v5) chart with candles, a volume pane,
// fill markers, open-order and stop price lines and a crosshair OHLC readout. Called from Rust
// (web/src/chart.rs) with plain numbers and strings; floats here are for drawing only. Every
// label text comes formatted from Rust (exact decimals).
(function () {
  'use strict';
  const LC = window.LightweightCharts;
  const state = {
    chart: null,
    candles: null,
    volume: null,
    markers: null,
    lines: [],
    lastTime: -Infinity,
    bars: 0,
    places: 2,
    readout: null,
  };
  const UP = '#0ecb81';
  const DOWN = '#f6465d';
  const STOP = '#f0b90b';

  function fmt(v) {
    return v.toFixed(state.places);
  }

  function priceFormat(places) {
    return { type: 'price', precision: places, minMove: Math.pow(10, -places) };
  }

  function mount(container, readout, pricePlaces) {
    if (!LC) throw new Error('lightweight-charts did not load');
    if (state.chart) return;
    state.places = pricePlaces;
    state.readout = readout;
    state.chart = LC.createChart(container, {
      autoSize: true,
      layout: {
        background: { type: 'solid', color: '#161a1e' },
        textColor: '#b7bdc6',
        fontSize: 11,
        attributionLogo: false,
        panes: { separatorColor: '#2b3139' },
      },
      // No grid lines: redrawing them on every update took about half of the main thread's time
      // per frame at maximum simulation speed (vertical lines move with every new bar; measured
      // side by side in one page, e2e/bench.mjs and an A/B toggle). The price axis keeps its labels.
      grid: { vertLines: { visible: false }, horzLines: { visible: false } },
      // Wider bars than the library's default 6 px: fewer bars to redraw per update (about
      // half a millisecond per frame at maximum speed, measured side by side) and easier to read.
      timeScale: { timeVisible: true, secondsVisible: true, borderColor: '#2b3139', rightOffset: 4, barSpacing: 10 },
      rightPriceScale: { borderColor: '#2b3139' },
      crosshair: { mode: 0 },
    });
    state.candles = state.chart.addSeries(LC.CandlestickSeries, {
      upColor: UP, downColor: DOWN, borderUpColor: UP, borderDownColor: DOWN,
      wickUpColor: UP, wickDownColor: DOWN,
      priceFormat: priceFormat(pricePlaces),
    });
    // Volume as an overlay at the bottom of the candles' pane (its own hidden scale): one pane
    // is one set of canvases less to redraw on every update.
    state.volume = state.chart.addSeries(LC.HistogramSeries, {
      priceFormat: { type: 'volume' },
      priceScaleId: 'volume',
      color: '#5e6673',
      lastValueVisible: false,
      priceLineVisible: false,
    });
    state.volume.priceScale().applyOptions({ scaleMargins: { top: 0.82, bottom: 0 }, visible: false });
    state.candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.2 } });
    state.markers = LC.createSeriesMarkers(state.candles, []);
    state.chart.subscribeCrosshairMove(function (param) {
      if (!state.readout) return;
      const d = param && param.seriesData ? param.seriesData.get(state.candles) : null;
      const v = param && param.seriesData ? param.seriesData.get(state.volume) : null;
      if (!d || d.open === undefined) {
        state.readout.textContent = '';
        return;
      }
      const t = new Date(d.time * 1000).toISOString().replace('T', ' ').slice(0, 19);
      state.readout.textContent = t + '  O ' + fmt(d.open) + '  H ' + fmt(d.high) + '  L ' + fmt(d.low) +
        '  C ' + fmt(d.close) + (v ? '  V ' + v.value : '');
    });
  }

  // Another instrument: its own price decimals (and, through setCandles, its own axis range).
  function setPrecision(places) {
    if (!state.candles) return;
    state.places = places;
    state.candles.applyOptions({ priceFormat: priceFormat(places) });
  }

  function volBar(t, o, c, v) {
    return { time: t, value: v, color: c >= o ? 'rgba(14,203,129,0.5)' : 'rgba(246,70,93,0.5)' };
  }

  function setCandles(flat) {
    if (!state.chart) return;
    const c = [];
    const v = [];
    for (let i = 0; i + 5 < flat.length; i += 6) {
      const t = flat[i];
      c.push({ time: t, open: flat[i + 1], high: flat[i + 2], low: flat[i + 3], close: flat[i + 4] });
      v.push(volBar(t, flat[i + 1], flat[i + 4], flat[i + 5]));
    }
    state.candles.setData(c);
    state.volume.setData(v);
    state.lastTime = c.length ? c[c.length - 1].time : -Infinity;
    state.bars = c.length;
    // A new instrument or interval: fit its price range.
    state.candles.priceScale().applyOptions({ autoScale: true });
    state.chart.timeScale().scrollToRealTime();
  }

  // Bars kept: the cost of an update grows with the bars a series holds (at maximum simulation
  // speed a 1-minute chart gains about a bar per frame), so the oldest go once there are
  // MAX_BARS + TRIM_SLACK, keeping the view where it was.
  const MAX_BARS = 600;
  const TRIM_SLACK = 600;

  function trim() {
    const c = state.candles.data();
    const v = state.volume.data();
    const drop = c.length - MAX_BARS;
    if (drop <= 0) return;
    const ts = state.chart.timeScale();
    const range = ts.getVisibleLogicalRange();
    state.candles.setData(c.slice(drop));
    state.volume.setData(v.slice(Math.max(0, v.length - MAX_BARS)));
    state.bars = MAX_BARS;
    if (range) ts.setVisibleLogicalRange({ from: range.from - drop, to: range.to - drop });
  }

  function updateCandle(t, o, h, l, c, v) {
    if (!state.chart || t < state.lastTime) return;
    if (t > state.lastTime) state.bars += 1;
    state.lastTime = t;
    state.candles.update({ time: t, open: o, high: h, low: l, close: c });
    state.volume.update(volBar(t, o, c, v));
    if (state.bars > MAX_BARS + TRIM_SLACK) trim();
  }

  // Markers: times (bar open times, s), sides (+1 buy, -1 sell), labels joined by '\n'.
  function setMarkers(times, sides, labels) {
    if (!state.markers) return;
    const text = labels.length ? labels.split('\n') : [];
    const m = [];
    for (let i = 0; i < times.length; i++) {
      const buy = sides[i] > 0;
      m.push({
        time: times[i],
        position: buy ? 'belowBar' : 'aboveBar',
        shape: buy ? 'arrowUp' : 'arrowDown',
        color: buy ? UP : DOWN,
        text: text[i] || '',
      });
    }
    m.sort(function (a, b) { return a.time - b.time; });
    state.markers.setMarkers(m);
  }

  // Price lines: prices, kinds (+1 resting buy, -1 resting sell, +2 buy stop, -2 sell stop),
  // labels joined by '\n'.
  function setPriceLines(prices, kinds, labels) {
    if (!state.candles) return;
    for (const l of state.lines) state.candles.removePriceLine(l);
    state.lines = [];
    const text = labels.length ? labels.split('\n') : [];
    for (let i = 0; i < prices.length; i++) {
      const k = kinds[i];
      const stop = Math.abs(k) === 2;
      state.lines.push(state.candles.createPriceLine({
        price: prices[i],
        color: stop ? STOP : (k > 0 ? UP : DOWN),
        lineWidth: 1,
        lineStyle: stop ? 1 : 2,
        axisLabelVisible: true,
        title: text[i] || '',
      }));
    }
  }

  function barCount() {
    return state.bars;
  }

  // For tests: what the chart shows besides the candles.
  function priceLines() {
    return state.lines.map(function (l) { const o = l.options(); return { price: o.price, title: o.title }; });
  }
  function markerTexts() {
    return state.markers ? state.markers.markers().map(function (m) { return { time: m.time, text: m.text }; }) : [];
  }

  window.BourseChart = {
    mount, setPrecision, setCandles, updateCandle, setMarkers, setPriceLines, barCount, priceLines, markerTexts,
  };
})();
