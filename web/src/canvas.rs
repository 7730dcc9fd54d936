//! A small 2D-canvas drawing surface for the market panels: the canvas fills its parent, keeps its
//! backing store at the device pixel ratio (crisp text), and follows the parent's size through a
//! `ResizeObserver` (so a draw never reads layout, which would force a synchronous reflow).
//!
//! Why canvas: at maximum simulation speed nearly every ladder and tape cell changes every frame,
//! and laying out changed DOM text costs tens of microseconds per cell; drawing the same text on a
//! canvas costs no layout at all. The panels keep an accessible DOM mirror (see
//! [`crate::store`]).

use crate::format::Fmt;
use crate::store::{MarketView, Store};
use leptos::html;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// The font of every panel, as the page's CSS (`12px` system UI).
pub const FONT: &str = "12px Inter, \"Segoe UI\", system-ui, sans-serif";
/// A smaller font for axes.
pub const SMALL_FONT: &str = "10px Inter, \"Segoe UI\", system-ui, sans-serif";
/// A monospaced font for columns of numbers drawn as one string.
pub const MONO_FONT: &str = "12px \"DejaVu Sans Mono\", ui-monospace, Menlo, Consolas, monospace";
/// A smaller monospaced font.
pub const SMALL_MONO_FONT: &str =
    "11px \"DejaVu Sans Mono\", ui-monospace, Menlo, Consolas, monospace";
/// The smallest font, for text that would not fit otherwise.
pub const TINY_FONT: &str = "9px Inter, \"Segoe UI\", system-ui, sans-serif";

/// Colours (as in `web/style.css`).
pub mod colour {
    /// Text.
    pub const TEXT: &str = "#eaecef";
    /// Muted text.
    pub const MUTED: &str = "#848e9c";
    /// Buy / bid.
    pub const UP: &str = "#0ecb81";
    /// Sell / ask.
    pub const DOWN: &str = "#f6465d";
    /// Accent (own orders).
    pub const ACCENT: &str = "#f0b90b";
    /// Bid depth bar.
    pub const BID_BG: &str = "rgba(14, 203, 129, 0.16)";
    /// Ask depth bar.
    pub const ASK_BG: &str = "rgba(246, 70, 93, 0.16)";
    /// Own row highlight.
    pub const OWN_BG: &str = "rgba(240, 185, 11, 0.12)";
    /// Grid lines.
    pub const LINE: &str = "#2b3139";
}

/// A canvas and its 2D context, sized in CSS pixels. Font and fill style are cached: the context
/// is told only when they change (each call crosses into JavaScript with a string).
pub struct Surface {
    /// The canvas.
    pub el: HtmlCanvasElement,
    /// Its context (scaled so that one unit is one CSS pixel).
    pub ctx: CanvasRenderingContext2d,
    /// Width, CSS pixels.
    pub w: f64,
    /// Height, CSS pixels.
    pub h: f64,
    dpr: f64,
    font: std::cell::Cell<&'static str>,
    fill: std::cell::Cell<&'static str>,
    align: std::cell::Cell<&'static str>,
}

/// A shared, late-bound surface (set once the canvas is mounted).
pub type SharedSurface = Rc<RefCell<Option<Surface>>>;

impl Surface {
    /// Wrap `el` (its parent's size is taken by [`observe`]).
    pub fn new(el: HtmlCanvasElement) -> Option<Surface> {
        let ctx = el
            .get_context("2d")
            .ok()
            .flatten()?
            .dyn_into::<CanvasRenderingContext2d>()
            .ok()?;
        Some(Surface {
            el,
            ctx,
            w: 0.0,
            h: 0.0,
            dpr: 1.0,
            font: std::cell::Cell::new(""),
            fill: std::cell::Cell::new(""),
            align: std::cell::Cell::new(""),
        })
    }

    /// Resize the backing store to `w × h` CSS pixels at the device pixel ratio.
    pub fn resize(&mut self, w: f64, h: f64) {
        let dpr = web_sys::window()
            .map(|w| w.device_pixel_ratio())
            .unwrap_or(1.0)
            .max(1.0);
        self.w = w.max(0.0);
        self.h = h.max(0.0);
        self.dpr = dpr;
        self.el.set_width((self.w * dpr).round() as u32);
        self.el.set_height((self.h * dpr).round() as u32);
    }

    /// Start a frame: clear everything and scale to CSS pixels.
    pub fn begin(&self) {
        let c = &self.ctx;
        let _ = c.set_transform(self.dpr, 0.0, 0.0, self.dpr, 0.0, 0.0);
        c.clear_rect(0.0, 0.0, self.w, self.h);
        // A resize resets the context's state: forget the cache.
        self.font.set("");
        self.fill.set("");
        self.align.set("");
        self.set_font(FONT);
        c.set_text_baseline("middle");
    }

    /// Use `font` (a CSS font; only sent to the context when it changes).
    pub fn set_font(&self, font: &'static str) {
        if self.font.get() != font {
            self.font.set(font);
            self.ctx.set_font(font);
        }
    }

    fn set_fill(&self, colour: &'static str) {
        if self.fill.get() != colour {
            self.fill.set(colour);
            self.ctx.set_fill_style_str(colour);
        }
    }

    fn set_align(&self, align: &'static str) {
        if self.align.get() != align {
            self.align.set(align);
            self.ctx.set_text_align(align);
        }
    }

    /// Fill a rectangle.
    pub fn rect(&self, x: f64, y: f64, w: f64, h: f64, colour: &'static str) {
        self.set_fill(colour);
        self.ctx.fill_rect(x, y, w, h);
    }

    /// Fill the current path of the context (for shapes drawn with its path calls).
    pub fn fill_path(&self, colour: &'static str) {
        self.set_fill(colour);
        self.ctx.fill();
    }

    /// Width of `s` in the current font, CSS pixels.
    pub fn width(&self, s: &str) -> f64 {
        self.ctx.measure_text(s).map(|m| m.width()).unwrap_or(0.0)
    }

    /// Text with its left edge at `x`, vertically centred on `y`.
    pub fn text_left(&self, s: &str, x: f64, y: f64, colour: &'static str) {
        self.set_fill(colour);
        self.set_align("left");
        let _ = self.ctx.fill_text(s, x, y);
    }

    /// Text with its right edge at `x`, vertically centred on `y`.
    pub fn text_right(&self, s: &str, x: f64, y: f64, colour: &'static str) {
        self.set_fill(colour);
        self.set_align("right");
        let _ = self.ctx.fill_text(s, x, y);
    }

    /// Text centred on `x`.
    pub fn text_center(&self, s: &str, x: f64, y: f64, colour: &'static str) {
        self.set_fill(colour);
        self.set_align("center");
        let _ = self.ctx.fill_text(s, x, y);
    }
}

/// Observe `el`'s parent and call `on_resize(width, height)` (CSS pixels of the parent's content
/// box) whenever it changes, after resizing `surface` to it.
pub fn observe(surface: SharedSurface, on_resize: impl Fn(f64, f64) + 'static) {
    let Some(el) = surface.borrow().as_ref().map(|s| s.el.clone()) else {
        return;
    };
    let Some(parent) = el.parent_element() else {
        return;
    };
    let s2 = surface.clone();
    let cb = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
        let Some(entry) = entries
            .get(0)
            .dyn_into::<web_sys::ResizeObserverEntry>()
            .ok()
        else {
            return;
        };
        let r = entry.content_rect();
        let (w, h) = (r.width(), r.height());
        if let Some(s) = s2.borrow_mut().as_mut() {
            if (s.w - w).abs() < 0.5 && (s.h - h).abs() < 0.5 {
                return;
            }
            s.resize(w, h);
        }
        on_resize(w, h);
    });
    if let Ok(obs) = web_sys::ResizeObserver::new(cb.as_ref().unchecked_ref()) {
        obs.observe(&parent);
        // The observer lives as long as the page.
        std::mem::forget(obs);
    }
    cb.forget();
}

/// Mark the canvas with the output sequence number of the frame it shows (`data-seq`) and of the
/// one it showed before (`data-prev-seq`), and the frame's last trade price as shown on the page
/// (`data-last`, `data-prev-last`): every panel says which moment it shows, so tests (and curious
/// users in the inspector) can check that they agree.
pub fn stamp(s: &Surface, seq: u64, last: &str) {
    let now = seq.to_string();
    let el = &s.el;
    match el.get_attribute("data-seq") {
        Some(prev) if prev == now => {}
        prev => {
            if let Some(prev) = prev {
                let _ = el.set_attribute("data-prev-seq", &prev);
                let _ = el.set_attribute(
                    "data-prev-last",
                    &el.get_attribute("data-last").unwrap_or_default(),
                );
            }
            let _ = el.set_attribute("data-seq", &now);
            let _ = el.set_attribute("data-last", last);
        }
    }
}

/// Wire a canvas panel: create its [`Surface`] once `canvas` is mounted, follow its parent's size
/// (`on_resize(width, height)` first, then a redraw), and on every frame either redraw with
/// `draw` — when `rev(view)`, the size or the instrument changed — or only [`stamp`] the newer
/// moment on the unchanged picture (a quiet frame draws nothing).
pub fn canvas_panel(
    store: Store,
    canvas: NodeRef<html::Canvas>,
    fmt: Memo<Option<Fmt>>,
    rev: fn(&MarketView) -> u64,
    on_resize: impl Fn(f64, f64) + 'static,
    draw: impl Fn(&Surface, &Fmt) + 'static,
) {
    let surface: SharedSurface = Rc::new(RefCell::new(None));
    let size_tick = RwSignal::new(0u64);
    let on_resize = Rc::new(on_resize);
    let s = surface.clone();
    Effect::new(move |_| {
        if let Some(el) = canvas.get() {
            if s.borrow().is_none() {
                *s.borrow_mut() = Surface::new(el);
                let on_resize = on_resize.clone();
                observe(s.clone(), move |w, h| {
                    on_resize(w, h);
                    size_tick.update(|t| *t += 1);
                });
            }
        }
    });
    let drawn = StoredValue::new((u64::MAX, u64::MAX, u32::MAX));
    Effect::new(move |_| {
        store.frame_tick.track();
        let size = size_tick.get();
        let key = (
            store.view.with_value(rev),
            size,
            store.sub.with_untracked(|s| s.instrument),
        );
        let Some(f) = fmt.get_untracked() else { return };
        let guard = surface.borrow();
        let Some(surf) = guard.as_ref() else { return };
        if drawn.get_value() == key {
            let (seq, last) = store.view.with_value(|v| (v.seq, v.last));
            stamp(surf, seq, &f.price(last));
            return;
        }
        drawn.set_value(key);
        draw(surf, &f);
    });
}
