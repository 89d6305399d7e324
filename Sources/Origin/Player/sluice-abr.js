// Sluice's live ABR policy for hls.js, served by Sluice at /player/sluice-abr.js.
//
// Two parts: `SluicePolicy`, a line-by-line port of the Swift policy (Sources/ABR), which a
// parity test feeds the same recorded inputs as the Swift code and requires the same
// decisions; and `createSluiceAbrController(Hls)`, the glue that makes it hls.js 1.6's
// `abrController` (config option): it turns each loaded part into a download sample, asks
// the policy at each point where hls.js can switch (a segment's first part: hls.js switches at
// independent parts, so a decision commits to a whole segment and the policy plans over it), and
// answers hls.js's `nextAutoLevel` with that decision. Like hls.js's own `_abandonRulesCheck`,
// it abandons a part whose download would outlast the buffer and reloads it a level lower.
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
  constructor(window = 5, errorWindow = 5, errorWeight = 1, stepUpRatio = 0) {
    this.window = Math.max(1, window);
    this.errorWindow = Math.max(0, errorWindow);
    this.errorWeight = errorWeight;
    this.stepUpRatio = stepUpRatio;
    this.stepUpMinTransferMs = 10.0;
  }

  throughput(samples, latestCanStep = true) {
    const n = samples.length;
    if (n === 0) return 0;
    // A step up: the latest sample alone (see the Swift predictor); not from a burst.
    if (this.stepUpRatio > 0 && n > 1 && latestCanStep) {
      const before = harmonicMean(samples.slice(Math.max(0, n - 1 - this.window), n - 1));
      if (samples[n - 1] > before * this.stepUpRatio) return samples[n - 1];
    }
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
    const last = samples[samples.length - 1];
    return this.throughput(samples.map(partKbps), (last ? last.transferMs : 0) >= this.stepUpMinTransferMs);
  }

  slowestKbps(samples) {
    const n = samples.length;
    if (n === 0) return 0;
    let m = partKbps(samples[Math.max(0, n - this.window)]);
    for (const s of samples.slice(Math.max(0, n - this.window), n)) {
      const k = partKbps(s);
      if (k < m) m = k;
    }
    return m;
  }

  // Harmonic mean of every sample given, kbit/s (the longer record).
  longKbps(samples) {
    return harmonicMean(samples.map(partKbps));
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
    this.predictor = new TransmitTimePredictor(5, 5, 0.25, 1.5);
    this.reserveParts = 2.0;
    this.reserveWeight = 1.0;
    this.reserveLatency = 0.5;
    this.catchUpAboveSeconds = 1.0;
    this.catchUpBufferSeconds = 0.5;
    this.catchUpRate = 1.05;
    this.firstByteWeight = 1.0;
    this.commitUpFactor = 0.8;
  }

  decide(input) {
    return { level: this.level(input), playbackRate: this.rate(input) };
  }

  level(input) {
    const count = input.bitratesKbps.length;
    if (!(count > 1)) return 0;
    let kbps = this.predictor.throughputKbps(input.samples);
    if (!(kbps > 0)) return 0;
    // A commitment of several parts (hls.js: a segment): plan it at the slowest recent sample.
    if ((input.commitParts ?? 1) > 1) {
      const slowest = this.predictor.slowestKbps(input.samples);
      if (slowest > 0 && slowest < kbps) kbps = slowest;
    }
    const firstByte = this.firstByteWeight * this.predictor.firstByteMs(input.samples) / 1000;
    const part = input.partSeconds;
    const top = input.bitratesKbps[count - 1];
    const current = Math.min(Math.max(input.currentLevel, 0), count - 1);
    let best = 0;
    let bestScore = -Number.MAX_VALUE;
    // The level holds for the commitment (hls.js: a segment), at least the horizon.
    const steps = Math.max(this.horizon, Math.min(Math.max(input.commitParts ?? 1, 1), 64));
    const switchSeconds = Math.max(input.switchSeconds ?? 0, 0);
    // A multi-part commitment: every level at most the harmonic mean of all the samples (the
    // longer record), a level above the current one at most commitUpFactor × that.
    let upKbps = kbps;
    if ((input.commitParts ?? 1) > 1) {
      const long = this.predictor.longKbps(input.samples);
      if (long > 0 && long < kbps) kbps = long;
      upKbps = Math.min(kbps, this.commitUpFactor * long);
    }
    for (let level = 0; level < count; level++) {
      const rate = input.bitratesKbps[level];
      const perPart = firstByte + rate * part / (level > current ? upKbps : kbps);
      // Committed to a segment, go up only to a level the longer record sustains in real time.
      if ((input.commitParts ?? 1) > 1 && level > current && perPart > part) continue;
      let buffer = input.bufferSeconds;
      let edge = Math.max(input.latencySeconds, buffer);
      let stall = 0.0;
      for (let step = 0; step < steps; step++) {
        let download = perPart;
        if (step === 0 && level !== current) download += switchSeconds;
        if (download > buffer) {
          stall += download - buffer;
          edge += download - buffer;
          buffer = 0;
        } else {
          buffer -= download;
        }
        buffer = Math.min(buffer + part, edge);
      }
      const reserve = Math.max(this.reserveParts * part, this.reserveLatency * input.targetLatencySeconds);
      const shortfall = buffer < reserve ? reserve - buffer : 0;
      const switchCost = 0.02 * Math.abs(rate - input.bitratesKbps[current]);
      const score = steps * part * rate - top * (stall + this.reserveWeight * shortfall) - switchCost;
      if (score > bestScore) {
        bestScore = score;
        best = level;
      }
    }
    return best;
  }

  rate(input) {
    const behind = input.latencySeconds - input.targetLatencySeconds;
    // With more than the committed media (hls.js: a segment) buffered beyond the margin.
    const committed = Math.min(Math.max(input.commitParts ?? 1, 1), 64) * input.partSeconds;
    if (behind > this.catchUpAboveSeconds && input.bufferSeconds > committed + this.catchUpBufferSeconds) {
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
      this.switchPoint = true; // the next request can change level (a segment's first part)
      this.commitParts = 1;
      this.levelLoadSec = 0; // transfer time of the last playlist load (a switch loads one)
      this.loaded = []; // per level: recent { bytes, seconds } loaded, for its real bitrate
      this.loading = null; // the main part or segment in flight, for the abandon rule
      this.timer = -1;
      this.abandons = 0;
      this.acc = null; // the parts loaded since the last switch point, summed
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
      hls.on(E.FRAG_LOADING, this.onFragLoading, this);
      hls.on(E.LEVEL_LOADED, this.onLevelLoaded, this);
      hls.on(E.LEVELS_UPDATED, this.onLevelsUpdated, this);
    }

    destroy() {
      const { hls } = this;
      if (hls) {
        hls.off(E.MANIFEST_LOADING, this.onManifestLoading, this);
        hls.off(E.FRAG_LOADED, this.onFragLoaded, this);
        hls.off(E.FRAG_LOADING, this.onFragLoading, this);
        hls.off(E.LEVEL_LOADED, this.onLevelLoaded, this);
        hls.off(E.LEVELS_UPDATED, this.onLevelsUpdated, this);
      }
      this.clearTimer();
      this.hls = null;
    }

    onManifestLoading() {
      this.samples = [];
      this.acc = null;
      this.loaded = [];
      this.decision = this.forced = this.lastLevel = -1;
      this.switchPoint = true;
      this.clearTimer();
    }

    onLevelLoaded(_event, data) {
      const l = data.stats && data.stats.loading;
      if (l && l.first > 0 && l.end >= l.first) this.levelLoadSec = (l.end - l.first) / 1000;
    }

    // Starts the abandon check of a main part or segment load (every 100 ms, as hls.js).
    onFragLoading(_event, data) {
      const { frag, part } = data;
      if (frag.type !== 'main' || frag.sn === 'initSegment' || frag.bitrateTest) return;
      this.clearTimer();
      this.loading = { frag, part: part || null };
      this.timer = setInterval(() => this.abandonCheck(), 100);
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
      this.ttfb = firstByteMs;
      this.lastLevel = frag.level;
      // The next part's duration: the playlist's PART-TARGET (a segment's last part is often
      // much shorter), or the segment's without parts.
      const details = hls.latestLevelDetails || (hls.levels[frag.level] && hls.levels[frag.level].details);
      this.switchPoint = !part || nextIsSwitchPoint(part, details);
      // One sample per decision: the parts of a segment add up. A segment's last part can be one
      // frame of a few kB, which read alone gave anything from 0.3 to 15 Mbit/s in Chromium.
      const acc = this.acc;
      if (acc && (acc.level !== frag.level || acc.sn !== frag.sn)) this.addSample(acc);
      if (acc && acc.level === frag.level && acc.sn === frag.sn) {
        acc.bytes += stats.loaded;
        acc.firstByteMs = Math.min(acc.firstByteMs, firstByteMs);
        acc.transferMs += transferMs;
        acc.mediaSeconds += mediaSeconds;
      } else {
        this.acc = { level: frag.level, sn: frag.sn, bytes: stats.loaded, firstByteMs, transferMs, mediaSeconds };
      }
      if (this.switchPoint) {
        this.addSample(this.acc);
        this.acc = null;
      }
      // With parts in the playlist the unit is the part even when hls.js (behind the edge) loads
      // whole segments: the commitment is the same segment either way.
      this.partDuration = details && details.partTarget ? details.partTarget : mediaSeconds;
      if (frag.level === this.forced) this.forced = -1;
      // The level's real bitrate (the listed one can be below what the encoder sends).
      const mine = this.loaded[frag.level] || (this.loaded[frag.level] = []);
      mine.push({ bytes: stats.loaded, seconds: mediaSeconds });
      if (mine.length > MAX_SAMPLES) mine.shift();
      this.commitParts = details ? partsPerSegment(details) : 1;
      this.pending = true;
      if (this.loading && this.loading.frag === frag) this.clearTimer();
    }

    addSample(a) {
      this.samples.push({ bytes: a.bytes, firstByteMs: a.firstByteMs, transferMs: a.transferMs, mediaSeconds: a.mediaSeconds });
      if (this.samples.length > MAX_SAMPLES) this.samples.shift();
    }

    // Bytes per media second of a level's recent loads, bit/s; 0 below 2 s of media.
    measuredBps(level) {
      const mine = this.loaded[level];
      if (!mine) return 0;
      let bytes = 0;
      let seconds = 0;
      for (const m of mine) { bytes += m.bytes; seconds += m.seconds; }
      return seconds >= 2 ? bytes * 8 / seconds : 0;
    }

    levelBps(level) {
      return Math.max(this.hls.levels[level].bitrate, this.measuredBps(level));
    }

    // hls.js's `_abandonRulesCheck`, with this controller's estimates: once the load has taken
    // half its media duration, if the rest of it at the rate seen so far would outlast the
    // buffer, and the same media a level lower (after that level's playlist) would arrive in
    // time and sooner, abort and reload it at that level.
    abandonCheck() {
      const hls = this.hls;
      const loading = this.loading;
      if (!hls || !loading) return this.clearTimer();
      const { frag, part } = loading;
      const stats = part ? part.stats : frag.stats;
      const media = hls.media;
      if (stats.aborted || stats.loading.end > 0 || (stats.loaded && stats.loaded === stats.total) ||
          frag.level <= hls.minAutoLevel || !hls.autoLevelEnabled) return this.clearTimer();
      if (!media || media.paused || !media.playbackRate || !media.readyState) return;
      const now = performance.now();
      const duration = part ? part.duration : frag.duration;
      const rate = Math.abs(media.playbackRate);
      const elapsed = now - stats.loading.start;
      if (elapsed <= 1000 * duration / (rate * 2)) return;
      // No first byte yet: a blocking part request waits for the encoder, not the link.
      const first = stats.loading.first;
      if (!(first > 0) || !(stats.loaded > 0)) return;
      const info = hls.mainForwardBufferInfo;
      const starvation = (info ? info.len : 0) / rate;
      const streaming = Math.max(now - first, 1);
      const bytesPerMs = stats.loaded / streaming;
      const expected = Math.max(stats.loaded, duration * this.levelBps(frag.level) / 8);
      const remaining = (expected - stats.loaded) / bytesPerMs / 1000;
      if (remaining <= starvation) return;
      const bps = bytesPerMs * 8000;
      const ttfb = this.policy.predictor.firstByteMs(this.samples) / 1000;
      let next = frag.level - 1;
      let delay = Infinity;
      for (; next >= hls.minAutoLevel; next--) {
        delay = ttfb + this.levelLoadSec + duration * this.levelBps(next) / bps;
        if (delay < Math.min(starvation, duration + ttfb) || next === hls.minAutoLevel) break;
      }
      if (!(next >= hls.minAutoLevel) || !(delay < remaining)) return;
      this.clearTimer();
      // What was learnt about the link, as a sample.
      this.acc = null;
      this.addSample({ bytes: stats.loaded, firstByteMs: Math.max(0, first - stats.loading.start),
        transferMs: streaming, mediaSeconds: duration * stats.loaded / expected });
      this.abandons += 1;
      this.history.push({ abandon: frag.level, level: next, buffer: starvation * rate, remaining, kbps: bps / 1000 });
      if (this.history.length > 400) this.history.shift();
      this.decision = next;
      this.forced = next;
      this.switchPoint = true;
      this.loading = null;
      frag.abortRequests();
      hls.trigger(E.FRAG_LOAD_EMERGENCY_ABORTED, { frag, part: part || undefined, stats });
    }

    clearTimer() {
      if (this.timer !== -1) clearInterval(this.timer);
      this.timer = -1;
      this.loading = null;
    }

    input() {
      const hls = this.hls;
      const info = hls.mainForwardBufferInfo;
      const latency = hls.latency;
      return {
        bitratesKbps: hls.levels.map((_l, i) => this.levelBps(i) / 1000),
        currentLevel: Math.max(0, this.lastLevel),
        bufferSeconds: info ? info.len : 0,
        latencySeconds: Number.isFinite(latency) ? latency : 0,
        targetLatencySeconds: hls.targetLatency || 0,
        partSeconds: this.partDuration,
        samples: this.samples.slice(),
        commitParts: this.commitParts,
        switchSeconds: this.levelLoadSec + this.policy.predictor.firstByteMs(this.samples) / 1000,
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
      // A decision holds until hls.js can switch again (the next segment).
      if (this.pending && (this.switchPoint || this.decision === -1)) {
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

  };
}

// Whether hls.js can change level at the part after `part`: the next listed part starts a new
// segment or is independent; not listed yet (the live edge), whether `part` ends its segment.
function nextIsSwitchPoint(part, details) {
  const list = details && details.partList;
  if (list) {
    const i = list.findIndex(p => p.fragment.sn === part.fragment.sn && p.index === part.index);
    if (i >= 0 && i + 1 < list.length) {
      const next = list[i + 1];
      return next.fragment.sn !== part.fragment.sn || next.independent;
    }
  }
  if (!details || !details.partTarget) return true;
  return part.index + 1 >= partsPerSegment(details) || part.duration < 0.9 * details.partTarget;
}

// Parts in a segment: the segment target over the part target.
function partsPerSegment(details) {
  if (!details || !details.partTarget) return 1;
  const segment = details.averagetargetduration || details.targetduration;
  return Math.max(1, Math.round(segment / details.partTarget));
}
