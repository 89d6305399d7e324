// WHEP (play) and WHIP (publish) clients for Sluice's pages: one POST with the whole offer
// (Sluice is ICE-lite: its one candidate is in the answer, the browser's are learned from its
// STUN checks, so no trickle), the answer, and DELETE on the session resource at the end.
// Served by Sluice at /player/whep.js.

async function exchange(pc, url, token) {
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  const headers = { 'Content-Type': 'application/sdp' };
  if (token) headers['Authorization'] = 'Bearer ' + token;
  const postedAt = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body: offer.sdp });
  const text = await res.text();
  const answeredAt = performance.now();
  if (res.status !== 201) throw new Error(`POST ${url}: ${res.status} ${text.trim()}`);
  const resource = new URL(res.headers.get('Location'), new URL(url, window.location.href)).href;
  await pc.setRemoteDescription({ type: 'answer', sdp: text });
  return { resource, postedAt, answeredAt };
}

function ender(pc, resource) {
  let ended = false;
  return async () => {
    if (ended) return;
    ended = true;
    pc.close();
    try { await fetch(resource, { method: 'DELETE' }); } catch (e) { /* the server cleans up on consent expiry */ }
  };
}

// Plays `url` (/whep/live/show[/720p]) into `video`. Returns { pc, resource, postedAt, answeredAt, timeline, close }
// (postedAt, answeredAt: performance.now() when the offer went out and the answer came back).
export async function whepPlay(video, url, { token } = {}) {
  const pc = new RTCPeerConnection();
  // performance.now() when ICE, then DTLS (connectionState), first reached connected: where a first frame's wait goes.
  const timeline = { iceConnectedAt: null, connectedAt: null };
  pc.addEventListener('iceconnectionstatechange', () => {
    if (timeline.iceConnectedAt === null && pc.iceConnectionState === 'connected') timeline.iceConnectedAt = performance.now();
  });
  pc.addEventListener('connectionstatechange', () => {
    if (timeline.connectedAt === null && pc.connectionState === 'connected') timeline.connectedAt = performance.now();
  });
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const stream = new MediaStream();
  pc.ontrack = (e) => {
    stream.addTrack(e.track);
    if (video.srcObject !== stream) video.srcObject = stream;
  };
  // H.264 first: Sluice's ladder is H.264 and sends nothing else.
  for (const t of pc.getTransceivers()) {
    if (t.receiver.track.kind !== 'video' || !RTCRtpReceiver.getCapabilities) continue;
    const codecs = RTCRtpReceiver.getCapabilities('video').codecs;
    const h264 = codecs.filter(c => c.mimeType.toLowerCase() === 'video/h264');
    if (h264.length && t.setCodecPreferences) t.setCodecPreferences(h264.concat(codecs.filter(c => c.mimeType.toLowerCase() === 'video/rtx')));
  }
  const { resource, postedAt, answeredAt } = await exchange(pc, url, token);
  return { pc, resource, postedAt, answeredAt, timeline, close: ender(pc, resource) };
}

// Publishes `stream` (getUserMedia) to `url` (/whip/live/guest) as H.264 + Opus.
export async function whipPublish(stream, url, { token } = {}) {
  const pc = new RTCPeerConnection();
  for (const track of stream.getTracks()) {
    const t = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    if (track.kind === 'video' && RTCRtpSender.getCapabilities && t.setCodecPreferences) {
      const codecs = RTCRtpSender.getCapabilities('video').codecs;
      const h264 = codecs.filter(c => c.mimeType.toLowerCase() === 'video/h264' && /packetization-mode=1/.test(c.sdpFmtpLine || ''));
      if (h264.length) t.setCodecPreferences(h264.concat(codecs.filter(c => c.mimeType.toLowerCase() === 'video/rtx')));
    }
  }
  const { resource, postedAt } = await exchange(pc, url, token);
  return { pc, resource, postedAt, close: ender(pc, resource) };
}

// The inbound (or outbound) RTP stats of one kind, summed over streams.
export async function rtpStats(pc, type, kind) {
  const out = {};
  (await pc.getStats()).forEach(s => {
    if (s.type !== type || s.kind !== kind) return;
    for (const [k, v] of Object.entries(s)) if (typeof v === 'number') out[k] = (out[k] || 0) + v;
  });
  return out;
}
