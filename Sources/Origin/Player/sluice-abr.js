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

// ---- policy (port of the Swift code; keep the operation order identical) ----

export class SluicePolicy {
  constructor() {
    this.reset();
  }

  reset() {
    this.estimate = 0;
  }

  // input: { bitrates: [bit/s, ascending], current: index, buffer: s, latency: s,
  //          targetLatency: s, partDuration: s,
  //          samples: [{ bytes, firstByteMs, transferMs }, ...] (oldest first) }
  // returns { level, rate }
  decide(input) {
    return { level: Math.max(0, Math.min(input.current, input.bitrates.length - 1)), rate: 1 };
  }
}

// ---- hls.js glue ----

const MAX_SAMPLES = 32;

export function createSluiceAbrController(Hls, options = {}) {
  const E = Hls.Events;
  const controlRate = options.controlRate !== false;

  return class SluiceAbrController {
    constructor(hls) {
      this.hls = hls;
      this.policy = new SluicePolicy();
      this.samples = [];
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
      hls.on(E.FRAG_BUFFERED, this.onFragBuffered, this);
      hls.on(E.LEVELS_UPDATED, this.onLevelsUpdated, this);
    }

    destroy() {
      const { hls } = this;
      if (hls) {
        hls.off(E.MANIFEST_LOADING, this.onManifestLoading, this);
        hls.off(E.FRAG_BUFFERED, this.onFragBuffered, this);
        hls.off(E.LEVELS_UPDATED, this.onLevelsUpdated, this);
      }
      this.hls = null;
    }

    onManifestLoading() {
      this.samples = [];
      this.decision = this.forced = this.lastLevel = -1;
      this.policy.reset();
    }

    onLevelsUpdated() {
      this.decision = -1;
    }

    // A sample per main-playlist part (or segment) as buffered: bytes, request → first byte,
    // first byte → last byte; then one policy decision for the next request.
    onFragBuffered(_event, data) {
      const { frag, part } = data;
      if (frag.type !== 'main' || frag.sn === 'initSegment') return;
      const stats = part && part.stats.loaded ? part.stats : frag.stats;
      if (stats.aborted || !stats.loaded) return;
      const firstByteMs = Math.max(0, stats.loading.first - stats.loading.start);
      const transferMs = Math.max(0, stats.loading.end - stats.loading.first);
      this.samples.push({ bytes: stats.loaded, firstByteMs, transferMs });
      if (this.samples.length > MAX_SAMPLES) this.samples.shift();
      this.ttfb = firstByteMs;
      this.lastLevel = frag.level;
      this.partDuration = part ? part.duration : frag.duration;
      if (frag.level === this.forced) this.forced = -1;
      this.decide();
    }

    input() {
      const hls = this.hls;
      const info = hls.mainForwardBufferInfo;
      const latency = hls.latency;
      return {
        bitrates: hls.levels.map(l => l.bitrate),
        current: Math.max(0, this.lastLevel),
        buffer: info ? info.len : 0,
        latency: Number.isFinite(latency) ? latency : 0,
        targetLatency: hls.targetLatency || 0,
        partDuration: this.partDuration,
        samples: this.samples.slice(),
      };
    }

    decide() {
      const hls = this.hls;
      if (!hls || hls.levels.length === 0) return;
      const d = this.policy.decide(this.input());
      this.decision = this.clamp(d.level);
      this.rate = d.rate;
      const media = hls.media;
      if (controlRate && media && media.playbackRate !== d.rate && !media.paused) media.playbackRate = d.rate;
    }

    clamp(level) {
      const { minAutoLevel, maxAutoLevel } = this.hls;
      return Math.min(Math.max(level, minAutoLevel), maxAutoLevel);
    }

    // The policy's estimate when it has one, else hls.js's default (bit/s).
    estimateBps() {
      const e = this.policy.estimate;
      return e > 0 ? e : this.defaultEstimate;
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

    get nextAutoLevel() {
      if (this.forced !== -1) return this.forced;
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
      this.policy.reset();
    }

    clearTimer() {}
  };
}
