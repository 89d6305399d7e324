// Sluice's live ABR policy for hls.js, served by Sluice at /player/sluice-abr.js.
//
// Two parts: `SluicePolicy`, a line-by-line port of the Swift policy (Sources/ABR), which a
// parity test feeds the same recorded inputs as the Swift code and requires the same
// decisions; and `createSluiceAbrController(Hls)`, the glue that makes it hls.js 1.6's
// `abrController` (config option): it turns each loaded part into a download sample, asks
// the policy once per part, and answers hls.js's `nextAutoLevel` with that decision.
//
// Usage: new Hls({ lowLatencyMode: true, maxLiveSyncPlaybackRate: 1,
//                  abrController: createSluiceAbrController(Hls) })
// (maxLiveSyncPlaybackRate 1 leaves the playback rate to this controller.)

// ---- policy (port of Sources/ABR: SluiceLive, TransmitTimePredictor, PartThroughput,
// HarmonicMeanEstimator; same operation order, so the same doubles) ----

// Input (Swift's LiveInput, as plain numbers):
//   { bitratesKbps: [kbit/s, lowest first], currentLevel, bufferSeconds, latencySeconds,
//     targetLatencySeconds, partSeconds,
//     samples: [{ bytes, firstByteMs, transferMs, mediaSeconds }, ...] (oldest first) }
// Output (LiveDecision): { level, playbackRate }

const MIN_TRANSFER_MS = 2.0;

export function partKbps(s) {
  return s.bytes * 8 / Math.max(s.transferMs, MIN_TRANSFER_MS);
}

export function harmonicMean(values) {
  if (values.length === 0) return 0;
  let inverse = 0.0;
  for (const v of values) inverse += 1 / v;
  return values.length / inverse;
}

export class TransmitTimePredictor {
  constructor(window = 5, errorWindow = 5, errorWeight = 1) {
    this.window = Math.max(1, window);
    this.errorWindow = Math.max(0, errorWindow);
    this.errorWeight = errorWeight;
  }

  throughput(samples) {
    const n = samples.length;
    if (n === 0) return 0;
    const estimate = harmonicMean(samples.slice(Math.max(0, n - this.window), n));
    let maxError = 0.0;
    let j = Math.max(1, n - this.errorWindow);
    while (j < n) {
      const predicted = harmonicMean(samples.slice(Math.max(0, j - this.window), j));
      const error = Math.abs(predicted - samples[j]) / samples[j];
      if (error > maxError) maxError = error;
      j += 1;
    }
    return estimate / (1 + this.errorWeight * maxError);
  }

  throughputKbps(samples) {
    return this.throughput(samples.map(partKbps));
  }

  firstByteMs(samples) {
    const n = samples.length;
    if (n === 0) return 0;
    let m = samples[Math.max(0, n - this.window)].firstByteMs;
    for (const s of samples.slice(Math.max(0, n - this.window), n)) if (s.firstByteMs < m) m = s.firstByteMs;
    return m;
  }
}

export class SluicePolicy {
  constructor() {
    this.name = 'sluice';
    this.horizon = 3;
    this.predictor = new TransmitTimePredictor(5, 5, 0.25);
    this.reserveParts = 2.0;
    this.reserveWeight = 1.0;
    this.catchUpAboveSeconds = 0.5;
    this.catchUpBufferSeconds = 0.5;
    this.catchUpRate = 1.05;
    this.firstByteWeight = 1.0;
  }

  decide(input) {
    return { level: this.level(input), playbackRate: this.rate(input) };
  }

  level(input) {
    const count = input.bitratesKbps.length;
    if (!(count > 1)) return 0;
    const kbps = this.predictor.throughputKbps(input.samples);
    if (!(kbps > 0)) return 0;
    const firstByte = this.firstByteWeight * this.predictor.firstByteMs(input.samples) / 1000;
    const part = input.partSeconds;
    const top = input.bitratesKbps[count - 1];
    const current = Math.min(Math.max(input.currentLevel, 0), count - 1);
    let best = 0;
    let bestScore = -Number.MAX_VALUE;
    for (let level = 0; level < count; level++) {
      const rate = input.bitratesKbps[level];
      const download = firstByte + rate * part / kbps;
      let buffer = input.bufferSeconds;
      let edge = Math.max(input.latencySeconds, buffer);
      let stall = 0.0;
      for (let i = 0; i < this.horizon; i++) {
        if (download > buffer) {
          stall += download - buffer;
          edge += download - buffer;
          buffer = 0;
        } else {
          buffer -= download;
        }
        buffer = Math.min(buffer + part, edge);
      }
      const reserve = this.reserveParts * part;
      const shortfall = buffer < reserve ? reserve - buffer : 0;
      const switchCost = 0.02 * Math.abs(rate - input.bitratesKbps[current]);
      const score = this.horizon * part * rate - top * (stall + this.reserveWeight * shortfall) - switchCost;
      if (score > bestScore) {
        bestScore = score;
        best = level;
      }
    }
    return best;
  }

  rate(input) {
    const behind = input.latencySeconds - input.targetLatencySeconds;
    if (behind > this.catchUpAboveSeconds && input.bufferSeconds > input.partSeconds + this.catchUpBufferSeconds) {
      return this.catchUpRate;
    }
    return 1;
  }
}

// ---- hls.js glue ----

// Request start → first byte and first byte → last byte of the last load of `url`, from the
// Resource Timing API; null when the browser has no entry or the origin withholds the times.
function resourceTiming(url) {
  if (!url || typeof performance === 'undefined' || !performance.getEntriesByName) return null;
  const entries = performance.getEntriesByName(url, 'resource');
  const e = entries[entries.length - 1];
  if (!e || !(e.responseStart > 0) || !(e.responseEnd >= e.responseStart)) return null;
  // Entries pile up (one per part); the browser stops recording at its buffer size.
  if (performance.getEntriesByType('resource').length > 200 && performance.clearResourceTimings) performance.clearResourceTimings();
  return { firstByteMs: Math.max(0, e.responseStart - e.startTime), transferMs: e.responseEnd - e.responseStart };
}

// The last 8 downloads, as the Swift simulator and `sluice probe --abr` pass them.
const MAX_SAMPLES = 8;

export function createSluiceAbrController(Hls, options = {}) {
  const E = Hls.Events;
  const controlRate = options.controlRate !== false;

  return class SluiceAbrController {
    constructor(hls) {
      this.hls = hls;
      this.policy = new SluicePolicy();
      this.samples = [];
      this.history = [];
      this.pending = false; // a part loaded since the last decision
      this.decision = -1; // the policy's answer for the next part, until the next part loads
      this.forced = -1; // hls.js forces a level for one fragment after a load error
      this.lastLevel = -1;
      this.partDuration = 0;
      this.rate = 1;
      this.defaultEstimate = hls.config.abrEwmaDefaultEstimate;
      this.ttfb = 100;
      const self = this;
      // hls.js reads these (hls.bandwidthEstimate, hls.ttfbEstimate, level-controller).
      this.bwEstimator = {
        getEstimate: () => self.estimateBps(),
        getEstimateTTFB: () => self.ttfb,
        canEstimate: () => self.samples.length > 0,
        get defaultEstimate() { return self.defaultEstimate; },
        update() {},
        sample() {},
        sampleTTFB() {},
        destroy() {},
      };
      hls.on(E.MANIFEST_LOADING, this.onManifestLoading, this);
      hls.on(E.FRAG_LOADED, this.onFragLoaded, this);
      hls.on(E.LEVELS_UPDATED, this.onLevelsUpdated, this);
    }

    destroy() {
      const { hls } = this;
      if (hls) {
        hls.off(E.MANIFEST_LOADING, this.onManifestLoading, this);
        hls.off(E.FRAG_LOADED, this.onFragLoaded, this);
        hls.off(E.LEVELS_UPDATED, this.onLevelsUpdated, this);
      }
      this.hls = null;
    }

    onManifestLoading() {
      this.samples = [];
      this.decision = this.forced = this.lastLevel = -1;
    }

    onLevelsUpdated() {
      this.decision = -1;
    }

    // A sample per main-playlist part (or segment) as loaded: bytes, request → first byte,
    // first byte → last byte. (FRAG_BUFFERED comes once per segment in LL-HLS, with its last
    // part only.) The decision for the next request is made when hls.js asks for it.
    onFragLoaded(_event, data) {
      const { frag, part } = data;
      const hls = this.hls;
      if (frag.type !== 'main' || frag.sn === 'initSegment') return;
      const stats = part ? part.stats : frag.stats;
      if (stats.aborted || !stats.loaded) return;
      // The browser's Resource Timing when the origin allows it (Sluice sends
      // Timing-Allow-Origin): hls.js's own first-byte time is when the XHR reported its headers,
      // which Chromium can deliver ~100 ms late on a slow link and so inflate the throughput.
      const timing = resourceTiming(part ? part.url : frag.url);
      const firstByteMs = timing ? timing.firstByteMs : Math.max(0, stats.loading.first - stats.loading.start);
      const transferMs = timing ? timing.transferMs : Math.max(0, stats.loading.end - stats.loading.first);
      const mediaSeconds = part ? part.duration : frag.duration;
      this.samples.push({ bytes: stats.loaded, firstByteMs, transferMs, mediaSeconds });
      if (this.samples.length > MAX_SAMPLES) this.samples.shift();
      this.ttfb = firstByteMs;
      this.lastLevel = frag.level;
      // The next part's duration: the playlist's PART-TARGET (a segment's last part is often
      // much shorter), or the segment's without parts.
      const details = hls.latestLevelDetails || (hls.levels[frag.level] && hls.levels[frag.level].details);
      this.partDuration = part && details && details.partTarget ? details.partTarget : mediaSeconds;
      if (frag.level === this.forced) this.forced = -1;
      this.pending = true;
    }

    input() {
      const hls = this.hls;
      const info = hls.mainForwardBufferInfo;
      const latency = hls.latency;
      return {
        bitratesKbps: hls.levels.map(l => l.bitrate / 1000),
        currentLevel: Math.max(0, this.lastLevel),
        bufferSeconds: info ? info.len : 0,
        latencySeconds: Number.isFinite(latency) ? latency : 0,
        targetLatencySeconds: hls.targetLatency || 0,
        partSeconds: this.partDuration,
        samples: this.samples.slice(),
      };
    }

    decide() {
      const hls = this.hls;
      if (!hls || hls.levels.length === 0) return;
      const input = this.input();
      const d = this.policy.decide(input);
      this.decision = this.clamp(d.level);
      // The recent decisions, for a page or harness to show (bounded).
      this.history.push({ level: this.decision, rate: d.playbackRate, buffer: input.bufferSeconds,
        latency: input.latencySeconds, kbps: this.policy.predictor.throughputKbps(input.samples),
        sample: input.samples[input.samples.length - 1] });
      if (this.history.length > 400) this.history.shift();
      this.rate = d.playbackRate;
      const media = hls.media;
      if (controlRate && media && media.playbackRate !== d.playbackRate && !media.paused) media.playbackRate = d.playbackRate;
    }

    clamp(level) {
      const { minAutoLevel, maxAutoLevel } = this.hls;
      return Math.min(Math.max(level, minAutoLevel), maxAutoLevel);
    }

    // The policy's estimate when it has one, else hls.js's default (bit/s).
    estimateBps() {
      const kbps = this.policy.predictor.throughputKbps(this.samples);
      return kbps > 0 ? kbps * 1000 : this.defaultEstimate;
    }

    // The first level: the highest whose bitrate the default estimate covers.
    get firstAutoLevel() {
      const hls = this.hls;
      const { minAutoLevel, maxAutoLevel } = hls;
      let level = minAutoLevel;
      for (let i = minAutoLevel; i <= maxAutoLevel; i++) {
        if (hls.levels[i].bitrate <= this.estimateBps()) level = i;
      }
      return level;
    }

    get forcedAutoLevel() {
      return this.forced;
    }

    // hls.js reads this when it picks its next request (and at other times): one policy
    // decision per loaded part, with the buffer as it is when the next request is picked.
    get nextAutoLevel() {
      if (this.forced !== -1) return this.forced;
      if (this.pending) {
        this.pending = false;
        this.decide();
      }
      if (this.decision === -1) return this.firstAutoLevel;
      return this.clamp(this.decision);
    }

    set nextAutoLevel(level) {
      this.forced = this.clamp(level);
    }

    resetEstimator(estimate) {
      if (estimate) this.defaultEstimate = estimate;
      this.samples = [];
      this.decision = -1;
    }

    clearTimer() {}
  };
}
