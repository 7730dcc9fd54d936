// Bourse chart adapter: one TradingView lightweight-charts (v5) chart with candles, a volume pane,
// fill markers, open-order price lines and a crosshair OHLC readout. Called from Rust
// (web/src/chart.rs) with plain numbers; floats here are for drawing only.
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

  function fmt(v) {
    return v.toFixed(state.places);
  }

  function mount(container, readout, pricePlaces) {
    if (!LC) throw new Error('lightweight-charts did not load');
    if (state.chart) return;
    state.places = pricePlaces;
    state.readout = readout;
    const minMove = Math.pow(10, -pricePlaces);
    state.chart = LC.createChart(container, {
      autoSize: true,
      layout: {
        background: { type: 'solid', color: '#161a1e' },
        textColor: '#b7bdc6',
        fontSize: 11,
        attributionLogo: false,
        panes: { separatorColor: '#2b3139' },
      },
      grid: { vertLines: { color: '#1f2329' }, horzLines: { color: '#1f2329' } },
      timeScale: { timeVisible: true, secondsVisible: true, borderColor: '#2b3139' },
      rightPriceScale: { borderColor: '#2b3139' },
      crosshair: { mode: 0 },
    });
    state.candles = state.chart.addSeries(LC.CandlestickSeries, {
      upColor: UP, downColor: DOWN, borderUpColor: UP, borderDownColor: DOWN,
      wickUpColor: UP, wickDownColor: DOWN,
      priceFormat: { type: 'price', precision: pricePlaces, minMove: minMove },
    });
    state.volume = state.chart.addSeries(LC.HistogramSeries, {
      priceFormat: { type: 'volume' },
      color: '#5e6673',
    }, 1);
    const panes = state.chart.panes();
    if (panes[1]) panes[1].setHeight(70);
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
    state.chart.timeScale().scrollToRealTime();
  }

  function updateCandle(t, o, h, l, c, v) {
    if (!state.chart || t < state.lastTime) return;
    if (t > state.lastTime) state.bars += 1;
    state.lastTime = t;
    state.candles.update({ time: t, open: o, high: h, low: l, close: c });
    state.volume.update(volBar(t, o, c, v));
  }

  function setMarkers(flat) {
    if (!state.markers) return;
    const m = [];
    for (let i = 0; i + 3 < flat.length; i += 4) {
      const buy = flat[i + 1] > 0;
      m.push({
        time: flat[i],
        position: buy ? 'belowBar' : 'aboveBar',
        shape: buy ? 'arrowUp' : 'arrowDown',
        color: buy ? UP : DOWN,
        text: (buy ? 'B ' : 'S ') + flat[i + 3],
      });
    }
    m.sort(function (a, b) { return a.time - b.time; });
    state.markers.setMarkers(m);
  }

  function setPriceLines(flat) {
    if (!state.candles) return;
    for (const l of state.lines) state.candles.removePriceLine(l);
    state.lines = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const buy = flat[i + 1] > 0;
      state.lines.push(state.candles.createPriceLine({
        price: flat[i], color: buy ? UP : DOWN, lineWidth: 1, lineStyle: 2,
        axisLabelVisible: true, title: buy ? 'my bid' : 'my ask',
      }));
    }
  }

  function barCount() {
    return state.bars;
  }

  window.BourseChart = { mount, setCandles, updateCandle, setMarkers, setPriceLines, barCount };
})();
