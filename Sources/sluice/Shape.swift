import ArgumentParser
import Dispatch
import Foundation
import LinkShaper
import NIOCore
import NIOPosix

struct Shape: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A user-space link emulator: rate or trace-driven capacity, a drop-tail queue, delay, jitter and loss between a listen address and a target.",
        discussion: """
        The kernels Sluice runs on often lack netem; put `sluice shape` on the path instead, e.g. \
        `sluice shape --listen 127.0.0.1:1936 --to 127.0.0.1:1935 --rate 2 --delay 40` and push to \
        rtmp://127.0.0.1:1936/live/x. TCP by default (RTMP, HTTP), --udp for SRT. Traces: \
        `time_s Mbps` lines, Mahimahi delivery opportunities (one millisecond per 1500-byte packet), \
        or a JSON profile with steps_kbps_seconds; looped. A byte stream cannot lose bytes: with TCP, \
        --loss and --burst-loss hold a "lost" segment back for a retransmission timeout instead. \
        Stops on SIGINT/SIGTERM or after --duration, printing a summary. See Docs/Shape.md.
        """
    )

    enum Direction: String, ExpressibleByArgument, CaseIterable {
        case up, down, both
    }

    @Option(help: "Address to accept on, HOST:PORT (port 0 picks a free one, printed on start).") var listen: String
    @Option(help: "Address to relay to, HOST:PORT.") var to: String?
    @Flag(help: "Relay UDP datagrams (SRT) instead of TCP.") var udp = false
    @Option(parsing: .unconditional, help: "Constant capacity in Mbit/s.") var rate: Double?
    @Option(help: "Capacity trace: `time_s Mbps` lines, Mahimahi .up/.down, or JSON steps_kbps_seconds; looped.") var trace: String?
    @Option(parsing: .unconditional, help: "One-way propagation delay in ms, per shaped direction.") var delay: Double = 0
    @Option(parsing: .unconditional, help: "Delay noise in ms: each packet gets delay ± up to this (TCP keeps order).") var jitter: Double = 0
    @Option(parsing: .unconditional, help: "Random loss per packet in percent (TCP: held back, see above).") var loss: Double = 0
    @Option(help: "Gilbert–Elliott burst loss: P_GOOD_TO_BAD,P_BAD_TO_GOOD per packet (every packet in the bad state is lost).")
    var burstLoss: String?
    @Option(parsing: .unconditional, help: "Drop-tail queue size in ms at the current rate.") var queue: Double = 1000
    @Option(help: "Which way to shape: up (client → target), down, or both.") var direction: Direction = .both
    @Option(help: "Write per-second JSON lines (and a summary line at the end) to this file.") var stats: String?
    @Option(parsing: .unconditional, help: "Seed for loss and jitter; the same seed gives the same sequence.") var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Stop after this many seconds.") var duration: Double?

    func validate() throws {
        guard let to else { throw ValidationError("shape needs --to HOST:PORT, the address to relay to") }
        _ = try HostPort(listen, option: "--listen")
        _ = try HostPort(to, option: "--to", allowZero: false)
        if rate != nil, trace != nil { throw ValidationError("give --rate or --trace, not both") }
        if let rate, !(rate > 0 && rate <= 100_000) { throw ValidationError("--rate must be above 0 and at most 100000 Mbit/s, got \(rate)") }
        guard delay >= 0, delay <= 60_000 else { throw ValidationError("--delay must be 0–60000 ms, got \(delay)") }
        guard jitter >= 0, jitter <= 60_000 else { throw ValidationError("--jitter must be 0–60000 ms, got \(jitter)") }
        guard loss >= 0, loss <= 100 else { throw ValidationError("--loss must be 0–100 percent, got \(loss)") }
        guard queue > 0, queue <= 60_000 else { throw ValidationError("--queue must be above 0 and at most 60000 ms, got \(queue)") }
        if let burstLoss { _ = try Self.parseBurstLoss(burstLoss) }
        if let duration, !(duration > 0 && duration.isFinite) { throw ValidationError("--duration must be positive, got \(duration)") }
    }

    static func parseBurstLoss(_ text: String) throws -> GilbertElliott {
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let p = parts[0], let r = parts[1], (0...1).contains(p), r > 0, r <= 1 else {
            throw ValidationError("--burst-loss must be P_GOOD_TO_BAD,P_BAD_TO_GOOD with 0 ≤ P ≤ 1 and 0 < P_BAD_TO_GOOD ≤ 1, e.g. 0.01,0.3; got \"\(text)\"")
        }
        return GilbertElliott(pGoodToBad: p, pBadToGood: r)
    }

    func run() async throws {
        let schedule = try loadSchedule()
        let listenAddress = try HostPort(listen, option: "--listen").resolve()
        guard let to else { throw ValidationError("shape needs --to HOST:PORT") }
        let targetAddress = try HostPort(to, option: "--to", allowZero: false).resolve()
        var shaped = LinkShaperConfiguration()
        shaped.schedule = schedule
        shaped.queueSeconds = queue / 1000
        shaped.delay = delay / 1000
        shaped.jitter = jitter / 1000
        shaped.loss = loss / 100
        shaped.burstLoss = try burstLoss.map(Self.parseBurstLoss)
        shaped.seed = seed
        if !udp { shaped.streamRetransmitDelay = Self.retransmitDelay(delay: shaped.delay, jitter: shaped.jitter) }
        var upConfiguration = direction == .down ? LinkShaperConfiguration() : shaped
        var downConfiguration = direction == .up ? LinkShaperConfiguration() : shaped
        // Each direction draws its own sequence; a byte stream never reorders or loses.
        downConfiguration.seed = seed &+ 0x5EED
        if !udp {
            upConfiguration.streamRetransmitDelay = upConfiguration.streamRetransmitDelay ?? 0
            downConfiguration.streamRetransmitDelay = downConfiguration.streamRetransmitDelay ?? 0
        }

        let statsFile = try stats.map(ShapeStatsFile.init(path:))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let relay = ShapeRunner(loop: loop, plan: .init(
            udp: udp, target: targetAddress, up: upConfiguration, down: downConfiguration,
            shapedUp: direction != .down, shapedDown: direction != .up, statsFile: statsFile))
        let bound: SocketAddress?
        do {
            bound = try await relay.start(listen: listenAddress).get()
        } catch {
            try? await group.shutdownGracefully()
            throw CommandFailure(Self.bindFailure(listen: listen, error: error, udp: udp))
        }
        let port = bound?.port ?? 0
        say("sluice shape: listening on \(Self.hostText(listenAddress)):\(port) (\(udp ? "udp" : "tcp")), relaying to \(to) — \(describe(schedule))")

        await Self.waitForStop(duration: duration)
        let summaries = try await relay.stop().get()
        for summary in summaries { say(Self.describe(summary)) }
        statsFile?.close()
        try? await group.shutdownGracefully()
    }

    /// The address as it is written before `:PORT`: IPv6 in brackets.
    static func hostText(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress else { return "\(address)" }
        return address.protocol == .inet6 ? "[\(ip)]" : ip
    }

    /// A byte stream's "loss": held back as TCP's retransmission timeout would (RTO ≥ 200 ms,
    /// about the round trip plus four deviations).
    static func retransmitDelay(delay: Double, jitter: Double) -> Double {
        max(0.2, 2 * delay + 4 * jitter)
    }

    static let maxTraceBytes = 64 << 20

    private func loadSchedule() throws -> LinkSchedule {
        if let rate { return .constant(bitsPerSecond: rate * 1_000_000) }
        guard let trace else { return .unlimited }
        // Bounded: the longest trace in shared/data is 1.4 MB.
        guard let handle = FileHandle(forReadingAtPath: trace) else {
            let reason = FileManager.default.fileExists(atPath: trace) ? "permission denied" : "no such file"
            throw CommandFailure("cannot read --trace \(trace): \(reason)")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: Self.maxTraceBytes + 1) ?? Data()
        } catch {
            throw CommandFailure("cannot read --trace \(trace): \(Self.reason(error))")
        }
        guard data.count <= Self.maxTraceBytes else {
            throw CommandFailure("cannot use --trace \(trace): larger than \(Self.maxTraceBytes >> 20) MiB")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CommandFailure("cannot use --trace \(trace): not a text file")
        }
        do {
            return try LinkSchedule.parse(trace: text)
        } catch {
            throw CommandFailure("cannot use --trace \(trace): \(error)")
        }
    }

    private func describe(_ schedule: LinkSchedule) -> String {
        var parts: [String] = []
        if let rate {
            parts.append("\(rate) Mbit/s")
        } else if let trace, let period = schedule.period {
            parts.append("trace \(trace) (mean \(String(format: "%.2f", schedule.meanBitsPerSecond / 1e6)) Mbit/s, loops every \(String(format: "%.1f", period)) s)")
        } else {
            parts.append("no rate limit")
        }
        if !schedule.isUnlimited { parts.append("queue \(Int(queue)) ms") }
        if delay > 0 { parts.append("delay \(delay) ms") }
        if jitter > 0 { parts.append("jitter ±\(jitter) ms") }
        if loss > 0 { parts.append("loss \(loss) %") }
        if let burstLoss { parts.append("burst loss \(burstLoss)") }
        parts.append("direction \(direction.rawValue)")
        return parts.joined(separator: ", ")
    }

    static func describe(_ s: LinkSummary) -> String {
        let capacity = s.capacityMbps.map { " of \($0) Mbit/s capacity" } ?? ""
        return "\(s.dir): delivered \(s.deliveredBytes) bytes in \(s.seconds) s = \(s.deliveredMbps) Mbit/s\(capacity); "
            + "queue delay mean \(s.queueDelayMeanMs) ms, max \(s.queueDelayMaxMs) ms; \(s.packets) packets, \(s.drops) dropped, \(s.lost) lost"
    }

    private static func bindFailure(listen: String, error: any Error, udp: Bool) -> String {
        let kind = udp ? "UDP" : "TCP"
        if let io = error as? IOError, io.errnoCode == EADDRINUSE {
            let port = listen.split(separator: ":").last.map(String.init) ?? listen
            return "cannot listen (\(kind)) on \(listen): port \(port) is already in use (choose another with --listen)"
        }
        if let io = error as? IOError, io.errnoCode == EADDRNOTAVAIL {
            return "cannot listen (\(kind)) on \(listen): not an address of this machine"
        }
        return "cannot listen (\(kind)) on \(listen): \(reason(error))"
    }

    static func reason(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let text = strerror(Int32(underlying.code)) {
            return String(cString: text).lowercased()
        }
        if ns.domain == NSCocoaErrorDomain, ns.code == NSFileReadNoSuchFileError { return "no such file" }
        if ns.domain == NSCocoaErrorDomain, ns.code == NSFileReadNoPermissionError { return "permission denied" }
        if ns.domain == NSCocoaErrorDomain, ns.code == NSFileReadInapplicableStringEncodingError { return "not a text file" }
        return ns.localizedDescription
    }

    /// Until SIGINT, SIGTERM or the end of `duration`.
    private static func waitForStop(duration: Double?) async {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { continuation.yield() }
            source.resume()
            sources.append(source)
        }
        let timer = duration.map { seconds in
            Task {
                try? await Task.sleep(for: .seconds(seconds))
                continuation.yield()
            }
        }
        for await _ in stream { break }
        timer?.cancel()
        for source in sources { source.cancel() }
    }
}

/// A line on standard output at once, even when it is a file (tests and scripts read it live).
/// A closed pipe is ignored (`FileHandle.write(_: Data)` would trap on EPIPE).
func say(_ line: String) {
    try? FileHandle.standardOutput.write(contentsOf: Data((line + "\n").utf8))
}
