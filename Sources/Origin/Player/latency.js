// Glass-to-glass latency in a real player, read from the picture: `sluice push` draws the wall
// clock (ms) into every frame as a block code (Docs/Protocols.md, "Pixel clock"); this module
// reads it back from each frame the browser presents (requestVideoFrameCallback + canvas) and
// subtracts it from the moment the frame is shown. Browser and publisher must share a clock
// (the same machine, or NTP-synchronised hosts).
//
// Served by Sluice at /player/latency.js; /player/latency is the page that runs it.

// Sluice's recommended hls.js settings for low latency (the same values as /player's config;
// measured in Docs/Benchmarks.md, "Glass-to-glass in real players").
export const RECOMMENDED_HLS_CONFIG = {
  lowLatencyMode: true,
  backBufferLength: 10,
  maxLiveSyncPlaybackRate: 1.5,
  // A stall moves the player back one part (Sluice's 0.25 s PART-TARGET), not hls.js's 1 s: with
  // 0.75 s PART-HOLD-BACK one stall would otherwise keep it 1.75 s behind for the whole session
  // (it only catches up with more than 1 s buffered). Still capped at one target duration.
  liveSyncOnStallIncrease: 0.25,
};

// ---- the pixel clock: the same layout and rules as Sources/LatencyProbe/PixelClock.swift ----
export const COLUMNS = 16;
export const ROWS = 5;
export const CELLS_PER_HEIGHT = 36;
const START_WORD = 0xB2CA;
const MIN_CONTRAST = 48;

export function crc16(value) { // CRC-16/CCITT-FALSE of the 48-bit value's 6 bytes, big-endian
  let crc = 0xFFFF;
  for (let shift = 40; shift >= 0; shift -= 8) {
    crc ^= (Math.floor(value / 2 ** shift) & 0xFF) << 8;
    for (let i = 0; i < 8; i++) crc = (crc & 0x8000) ? ((crc << 1) ^ 0x1021) & 0xFFFF : (crc << 1) & 0xFFFF;
  }
  return crc;
}

// The milliseconds from 80 cell means (row by row, any luma scale), or null.
export function decodeMeans(means) {
  if (means.length !== COLUMNS * ROWS) return null;
  let w = 0, b = 0, nw = 0, nb = 0;
  for (let i = 0; i < 16; i++) {
    if ((START_WORD >> (15 - i)) & 1) { w += means[i]; nw++; } else { b += means[i]; nb++; }
  }
  w /= nw; b /= nb;
  if (w - b < MIN_CONTRAST) return null;
  const threshold = (w + b) / 2;
  const bits = means.map(m => m > threshold ? 1 : 0);
  let start = 0;
  for (let i = 0; i < 16; i++) start = start * 2 + bits[i];
  if (start !== START_WORD) return null;
  let value = 0;
  for (let i = 16; i < 64; i++) value = value * 2 + bits[i]; // 48 bits: exact in a double
  let crc = 0;
  for (let i = 64; i < 80; i++) crc = crc * 2 + bits[i];
  return crc === crc16(value) ? value : null;
}

// The mean of the middle half of every cell of the code in a picture `height` tall, of which
// `columnsAvailable` × `rowsAvailable` pixels are at hand; `rowSum(y, x0, x1)` sums the luma of
// row y from x0 to x1 inclusive.
function meansOfCells(height, columnsAvailable, rowsAvailable, rowSum) {
  const cell = height / CELLS_PER_HEIGHT;
  const r = Math.max(0.5, cell / 4);
  const means = [];
  for (let row = 0; row < ROWS; row++) {
    const cy = (row + 0.5) * cell;
    const y0 = Math.max(0, Math.floor(cy - r)), y1 = Math.min(rowsAvailable - 1, Math.ceil(cy + r) - 1);
    for (let col = 0; col < COLUMNS; col++) {
      const cx = (col + 0.5) * cell;
      const x0 = Math.max(0, Math.floor(cx - r)), x1 = Math.min(columnsAvailable - 1, Math.ceil(cx + r) - 1);
      let sum = 0;
      for (let y = y0; y <= y1; y++) sum += rowSum(y, x0, x1);
      const n = Math.max(0, y1 - y0 + 1) * Math.max(0, x1 - x0 + 1);
      means.push(n ? sum / n : 0);
    }
  }
  return means;
}

// Cell means from RGBA pixels of the picture's top-left corner (`stride` pixels a row).
export function cellMeans(rgba, stride, rowsAvailable, height) {
  return meansOfCells(height, stride, rowsAvailable, (y, x0, x1) => {
    let sum = 0;
    for (let x = x0; x <= x1; x++) {
      const p = (y * stride + x) * 4;
      sum += 0.299 * rgba[p] + 0.587 * rgba[p + 1] + 0.114 * rgba[p + 2];
    }
    return sum;
  });
}

// Cell means from a luma plane (one byte a pixel, `stride` bytes a row from `offset`): the
// same cells as cellMeans, without the RGB conversion.
export function lumaCellMeans(luma, offset, stride, columnsAvailable, rowsAvailable, height) {
  return meansOfCells(height, columnsAvailable, rowsAvailable, (y, x0, x1) => {
    const line = offset + y * stride;
    let sum = 0;
    for (let x = x0; x <= x1; x++) sum += luma[line + x];
    return sum;
  });
}

// Formats whose first plane is luma, one byte a pixel.
const LUMA_FIRST = new Set(['I420', 'I420A', 'I422', 'I444', 'NV12']);

// Reads the clock of the frame `video` shows now from the decoded picture's luma, copying only
// the code's corner (VideoFrame.copyTo with a rect): drawImage + getImageData convert the whole
// picture to RGB every frame, which the page need not pay (Docs/Benchmarks.md, CPU accounting).
// Resolves to the value, null (no code there), or undefined (not possible here: use readClock).
export async function readClockLuma(video, height) {
  if (typeof VideoFrame === 'undefined') return undefined;
  const cell = height / CELLS_PER_HEIGHT;
  if (cell < 2) return null;
  let frame;
  try { frame = new VideoFrame(video); } catch (e) { return undefined; }
  try {
    if (!LUMA_FIRST.has(frame.format)) return undefined;
    const v = frame.visibleRect;
    // Even sizes and origin: 4:2:0 chroma planes are copied too and need whole chroma samples.
    const even = n => Math.ceil(n / 2) * 2;
    const w = Math.min(v.width, even(COLUMNS * cell + 1)), h = Math.min(v.height, even(ROWS * cell + 1));
    const rect = { x: v.x, y: v.y, width: w, height: h };
    const buffer = new Uint8Array(frame.allocationSize({ rect }));
    const layout = await frame.copyTo(buffer, { rect });
    return decodeMeans(lumaCellMeans(buffer, layout[0].offset, layout[0].stride, w, h, v.height));
  } catch (e) {
    return undefined;
  } finally {
    frame.close();
  }
}

// Reads the clock of the frame `video` shows now (width × height: its intrinsic size).
export function readClock(video, ctx, width, height) {
  const cell = height / CELLS_PER_HEIGHT;
  if (cell < 2) return null;
  const w = Math.min(width, Math.ceil(COLUMNS * cell) + 1), h = Math.min(height, Math.ceil(ROWS * cell) + 1);
  if (ctx.canvas.width !== w || ctx.canvas.height !== h) { ctx.canvas.width = w; ctx.canvas.height = h; }
  ctx.drawImage(video, 0, 0, w, h, 0, 0, w, h);
  const data = ctx.getImageData(0, 0, w, h).data;
  return decodeMeans(cellMeans(data, w, h, height));
}

// ---- the page ----

function percentile(sorted, q) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function loadHls(urls, src) {
  let mod = null, failure = null;
  for (const url of urls) {
    try { mod = await import(url); break; } catch (e) { failure = e; }
  }
  if (!mod) throw failure;
  let Hls = mod.default || mod.Hls;
  if (!Hls && typeof mod.t === 'function') { // gradio's hls.js chunk exports an attach helper
    const probe = mod.t(document.createElement('video'), src);
    Hls = probe.constructor;
    probe.destroy();
  }
  return Hls;
}

// Query: src (playlist, required), mode=hlsjs|hlsjs-default|native, seconds (report after this
// long; default: never), report (URL the JSON result is POSTed to), hls (hls.js ES module URL),
// abr=sluice|default (hlsjs mode; default sluice, as /player), config (JSON: hls.js settings
// applied on top, for experiments), level (a rendition's height: hls.js plays only that one).
export async function startLatencyPage(video, statsElement) {
  const q = new URLSearchParams(location.search);
  const src = q.get('src');
  const mode = q.get('mode') || 'hlsjs';
  const seconds = q.has('seconds') ? Number(q.get('seconds')) : null;
  const reportURL = q.get('report');
  // This Sluice's own copy (dashboard.hlsjsPath), else the CDN /player uses.
  const hlsURLs = q.has('hls') ? [q.get('hls')] : ['/dashboard/hls.mjs', 'https://cdn.jsdelivr.net/npm/hls.js@1.6.15/dist/hls.mjs'];
  const abr = q.get('abr') || 'sluice';
  const result = {
    mode, src, abr: mode === 'hlsjs' ? abr : null, supported: true, errors: [], fatal: null, hlsVersion: null,
    config: null, g2gMs: [], framesShown: 0, framesRead: 0, renditions: {},
    firstFrameMs: null, firstFrameAfterManifestMs: null, manifestLoadedMs: null, loadStartMs: null,
    stalls: 0, stallSeconds: 0, freezes: 0, hlsLatency: [], targetLatency: null, finalPlaybackRate: null,
    // Where each frame's time went (hls.js modes): clock → its part fully loaded by hls.js, and
    // part loaded → frame shown; sampled every 500 ms: the forward buffer (s).
    fetchedMs: [], heldMs: [], forwardBuffer: [], level: null, reader: null, hlsStallErrors: 0,
  };
  if (!src) {
    statsElement.textContent = 'Add ?src=/live/STREAM/index.m3u8 (a stream `sluice push` publishes) to the address.';
    return;
  }
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  let lastValue = null, lastShown = null, stalledAt = null, hls = null;
  // Main-playlist parts (or segments) hls.js loaded: media start/end (s) and when the last byte
  // arrived (ms since the epoch), to say which load brought each frame shown.
  const loads = [];
  function loadedAt(mediaTime) {
    for (let i = loads.length - 1; i >= 0; i--) {
      const l = loads[i];
      if (mediaTime >= l.start - 0.02 && mediaTime < l.end + 0.02) return l.at;
    }
    return null;
  }

  // Stalls: 'waiting' after the first frame until playback resumes. Freezes: the same picture
  // on screen for more than 300 ms, whatever the element's events said.
  video.addEventListener('waiting', () => {
    if (result.firstFrameMs === null || stalledAt !== null) return;
    result.stalls += 1;
    stalledAt = performance.now();
  });
  const endStall = () => {
    if (stalledAt !== null) { result.stallSeconds += (performance.now() - stalledAt) / 1000; stalledAt = null; }
  };
  video.addEventListener('playing', endStall);
  video.addEventListener('error', () => { result.errors.push('video element: ' + (video.error && video.error.message)); });

  // The clock read from the picture's luma where the browser allows it, else through a canvas.
  let lumaRead = true;
  function record(value, shownAt, mediaTime) {
    if (value === null || value === lastValue) return;
    result.framesRead += 1;
    result.g2gMs.push(shownAt - value);
    lastValue = value;
    const at = loads.length ? loadedAt(mediaTime) : null;
    if (at !== null) { result.fetchedMs.push(at - value); result.heldMs.push(shownAt - at); }
  }
  function readWithCanvas(meta, shownAt) {
    let value = null;
    try { value = readClock(video, ctx, meta.width, meta.height); } catch (e) { result.errors.push('canvas: ' + e); }
    record(value, shownAt, meta.mediaTime);
  }

  function onFrame(now, meta) {
    const shownAt = performance.timeOrigin + meta.expectedDisplayTime; // ms since the epoch
    result.framesShown += 1;
    if (result.firstFrameMs === null) {
      result.firstFrameMs = Math.round(meta.expectedDisplayTime);
      if (result.manifestLoadedMs !== null) result.firstFrameAfterManifestMs = Math.round(meta.expectedDisplayTime - result.manifestLoadedMs);
    }
    if (lastShown !== null && meta.expectedDisplayTime - lastShown > 300) result.freezes += 1;
    lastShown = meta.expectedDisplayTime;
    const key = String(meta.height);
    result.renditions[key] = (result.renditions[key] || 0) + 1;
    if (lumaRead) {
      readClockLuma(video, meta.height).then(value => {
        if (value !== undefined) { result.reader = 'luma'; record(value, shownAt, meta.mediaTime); return; }
        lumaRead = false; // this frame goes unread: the element may already show the next
      });
    } else {
      result.reader = 'canvas';
      readWithCanvas(meta, shownAt);
    }
    video.requestVideoFrameCallback(onFrame);
  }
  video.requestVideoFrameCallback(onFrame);

  if (mode === 'native') {
    result.supported = video.canPlayType('application/vnd.apple.mpegurl') !== '';
    result.loadStartMs = Math.round(performance.now());
    result.manifestLoadedMs = result.loadStartMs; // the element loads it itself: from the start
    video.src = src;
    video.play().catch(e => result.errors.push('play(): ' + e));
  } else {
    let Hls;
    try {
      Hls = await loadHls(hlsURLs, src);
    } catch (e) {
      result.supported = false;
      result.fatal = 'cannot load hls.js from ' + hlsURLs.join(' or ') + ': ' + e;
    }
    if (Hls) {
      const config = mode === 'hlsjs' ? { ...RECOMMENDED_HLS_CONFIG } : {};
      if (q.has('config')) Object.assign(config, JSON.parse(q.get('config'))); // experiments: hls.js settings on top
      if (mode === 'hlsjs' && abr === 'sluice') {
        const { createSluiceAbrController } = await import('/player/sluice-abr.js');
        config.abrController = createSluiceAbrController(Hls);
        config.maxLiveSyncPlaybackRate = 1; // the controller sets the playback rate itself
      }
      result.hlsVersion = Hls.version;
      result.config = Object.fromEntries(Object.entries(config).filter(([k]) => k !== 'abrController'));
      hls = new Hls(config);
      const E = Hls.Events;
      hls.on(E.MANIFEST_LOADED, () => { result.manifestLoadedMs = Math.round(performance.now()); });
      hls.on(E.MANIFEST_PARSED, (_, d) => {
        // level=HEIGHT pins that rendition (the benchmark compares one rung with the probe's).
        const pin = q.has('level') ? d.levels.findIndex(l => String(l.height) === q.get('level')) : -1;
        if (pin >= 0) { hls.startLevel = pin; hls.loadLevel = pin; result.level = q.get('level') + 'p'; }
        video.play().catch(e => result.errors.push('play(): ' + e));
      });
      hls.on(E.FRAG_LOADED, (_, d) => {
        if (d.frag.type !== 'main') return;
        const piece = d.part || d.frag, stats = d.part ? d.part.stats : d.frag.stats;
        loads.push({ start: piece.start, end: piece.start + piece.duration, at: performance.timeOrigin + stats.loading.end });
        if (loads.length > 64) loads.shift();
      });
      hls.on(E.ERROR, (_, d) => {
        // With the time (ms after the first frame; -1: before it): a stall hls.js counts raises
        // its target latency for the rest of the session (liveSyncOnStallIncrease).
        const at = result.firstFrameMs === null ? -1 : Math.round(performance.now() - result.firstFrameMs);
        if (result.errors.length < 50) result.errors.push(`${d.type}/${d.details}${d.fatal ? ' (fatal)' : ''} @${at}ms`);
        if (d.details === 'bufferStalledError') result.hlsStallErrors += 1;
        if (d.fatal) result.fatal = d.details;
      });
      result.loadStartMs = Math.round(performance.now());
      hls.loadSource(src);
      hls.attachMedia(video);
      setInterval(() => {
        if (!video.paused && Number.isFinite(hls.latency) && hls.latency > 0) result.hlsLatency.push(hls.latency);
        const b = video.buffered;
        if (!video.paused && b.length) result.forwardBuffer.push(b.end(b.length - 1) - video.currentTime);
      }, 500);
    }
  }

  function summary() {
    const s = result.g2gMs.slice().sort((a, b) => a - b);
    return { p50: percentile(s, 0.5), p95: percentile(s, 0.95), p99: percentile(s, 0.99), count: s.length };
  }
  // The on-page summary is for a person; under the benchmark (a report URL) nobody reads it,
  // and re-sorting every sample twice a second only takes CPU from the player.
  if (!reportURL) setInterval(() => {
    const g = summary();
    const f = v => v === null ? '–' : Math.round(v) + ' ms';
    statsElement.textContent = `${mode}${result.hlsVersion ? ' (hls.js ' + result.hlsVersion + ')' : ''}: `
      + `glass-to-glass p50 ${f(g.p50)}, p95 ${f(g.p95)}, p99 ${f(g.p99)} over ${g.count} frames\n`
      + `first frame ${f(result.firstFrameMs)} after page load; ${result.stalls} stalls, ${result.freezes} freezes; `
      + `showing ${video.videoHeight}p` + (result.errors.length ? '\n' + result.errors.slice(-3).join('\n') : '');
  }, 500);

  async function finish() {
    endStall();
    result.finalPlaybackRate = video.playbackRate;
    if (hls) { result.targetLatency = hls.targetLatency; hls.destroy(); }
    if (!reportURL) return;
    // no-cors: the harness that collects the report is another origin and needs no preflight.
    await fetch(reportURL, { method: 'POST', mode: 'no-cors', body: JSON.stringify(result) });
  }
  if (seconds !== null && Number.isFinite(seconds)) setTimeout(finish, seconds * 1000);
  return result;
}
