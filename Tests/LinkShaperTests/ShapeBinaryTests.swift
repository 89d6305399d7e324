import Foundation
import NIOCore
import NIOPosix
import Synchronization
import TestSupport
import Testing

/// The `sluice` executable that `swift build --build-tests` put next to the tests.
let sluiceBinary: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent(".build/debug/sluice").path

/// Real TCP and UDP traffic through the built `sluice shape`. The assertions are facts the
/// shaper guarantees by construction (bytes intact, a rate's minimum spread, a delay's minimum
/// round trip, seeded loss repeats); how closely it hits a rate is measured in Docs/Benchmarks.md.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: sluiceBinary), "needs the built sluice executable"))
struct ShapeBinaryTests {
    /// Starts `sluice shape` on a free port and returns it with the port it printed.
    static func startShaper(_ args: [String]) async throws -> (ExternalProcess, Int) {
        let shaper = try ExternalProcess(sluiceBinary, ["shape", "--listen", "127.0.0.1:0"] + args)
        let marker = "listening on 127.0.0.1:"
        let started = await eventually(within: 20) { shaper.output.contains(marker) || !shaper.isRunning }
        guard started, let range = shaper.output.range(of: marker),
              let port = Int(shaper.output[range.upperBound...].prefix { $0.isNumber }) else {
            throw ShapeTestFailure("sluice shape did not start: \(shaper.output) \(shaper.errors)")
        }
        return (shaper, port)
    }

    /// SIGTERM, then the exit status (the shaper prints its summary on the way out).
    static func terminate(_ shaper: ExternalProcess) async -> Int32 {
        kill(shaper.pid, SIGTERM)
        return await shaper.waitForExit(seconds: 10)
    }

    static func statsPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sluice-shape-\(UUID().uuidString).jsonl").path
    }

    @Test func tcpBytesArriveIntactNoFasterThanTheRate() async throws {
        let sink = try LoopbackPeer(.tcpSink)
        defer { sink.shutdown() }
        let stats = Self.statsPath()
        defer { try? FileManager.default.removeItem(atPath: stats) }
        let (shaper, port) = try await Self.startShaper(["--to", "127.0.0.1:\(sink.port)", "--rate", "2", "--direction", "up", "--stats", stats])
        defer { shaper.kill() }

        // 500 000 bytes at 2 Mbit/s: the link needs 2 s by construction.
        let total = 500_000
        let client = try await ClientBootstrap(group: sink.group).connect(host: "127.0.0.1", port: port).get()
        let start = Date()
        try await client.writeAndFlush(LoopbackPeer.pattern(count: total)).get()
        try await client.close(mode: .output).get()
        #expect(await eventually(within: 30) { sink.snapshot.closed })
        let seen = sink.snapshot
        #expect(seen.bytes == total && seen.intact, "\(seen)")
        // Measured from before the first byte was sent, so a late first read cannot shorten it.
        let spread = try #require(seen.last).timeIntervalSince(start)
        #expect(spread >= Double(total) * 8 / 2_000_000, "the last byte arrived \(spread) s after the first was sent")

        #expect(await Self.terminate(shaper) == 0)
        #expect(shaper.output.contains("up: delivered \(total) bytes"), "\(shaper.output)")
        let lines = try String(contentsOfFile: stats, encoding: .utf8).split(separator: "\n")
        #expect(lines.contains { $0.contains(#""dir":"up""#) && $0.contains(#""capacity_mbps":2"#) }, "\(lines)")
        #expect(lines.last?.hasPrefix(#"{"summary":[{"#) == true && lines.last?.contains(#""delivered_bytes":\#(total)"#) == true, "\(lines.last ?? "")")
        #expect(!lines.contains { $0.contains(#""dir":"down""#) }, "down is not shaped")
        // The sender waits instead of the shaper buffering: the queue never holds more than
        // 1 s at 2 Mbit/s (250 000 bytes) plus one segment.
        struct Second: Decodable { var backlog_bytes: Int? }
        let backlogs = lines.compactMap { try? JSONDecoder().decode(Second.self, from: Data($0.utf8)).backlog_bytes }
        #expect(!backlogs.isEmpty && backlogs.allSatisfy { $0 <= 250_000 + 1500 }, "\(backlogs)")
    }

    @Test func tcpRoundTripCarriesTheDelayBothWays() async throws {
        let echo = try LoopbackPeer(.tcpEcho)
        defer { echo.shutdown() }
        let (shaper, port) = try await Self.startShaper(["--to", "127.0.0.1:\(echo.port)", "--delay", "100"])
        defer { shaper.kill() }

        let replies = Locked(PeerTally())
        let client = try await ClientBootstrap(group: echo.group)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(StreamPeerHandler(tally: replies, echo: false)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        defer { client.close(promise: nil) }
        let sent = Date()
        try await client.writeAndFlush(LoopbackPeer.pattern(count: 100)).get()
        #expect(await eventually(within: 10) { replies.withLock { $0.bytes } == 100 })
        let reply = replies.value
        #expect(reply.intact)
        let rtt = try #require(reply.last).timeIntervalSince(sent)
        #expect(rtt >= 0.2, "100 ms each way, round trip \(rtt) s")
        #expect(await Self.terminate(shaper) == 0)
    }

    /// A burst far above 1 Mbit/s overflows a 200 ms queue: datagrams are dropped and counted,
    /// the rest arrive whole, spread at the rate.
    @Test func udpBurstOverflowsTheQueue() async throws {
        let echo = try LoopbackPeer(.udpEcho)
        defer { echo.shutdown() }
        let (shaper, port) = try await Self.startShaper(["--udp", "--to", "127.0.0.1:\(echo.port)", "--rate", "1", "--queue", "200", "--direction", "up"])
        defer { shaper.kill() }

        let sent = 300, size = 1200
        let start = Date()
        let received = try await Self.sendDatagrams(count: sent, size: size, to: port, group: echo.group, settle: 1)
        let seen = echo.snapshot
        #expect(seen.datagrams > 0 && seen.datagrams < sent, "\(seen.datagrams) of \(sent) through a 25 kB queue")
        #expect(received.count == seen.datagrams, "every datagram the target echoed came back (down is not shaped)")
        // The link sends one datagram at a time: the n-th leaves n × 9.6 ms after the burst began.
        let spread = try #require(seen.last).timeIntervalSince(start)
        #expect(spread >= Double(seen.datagrams * size * 8) / 1_000_000, "\(seen.datagrams) datagrams, the last \(spread) s after the burst")

        #expect(await Self.terminate(shaper) == 0)
        #expect(shaper.output.contains("\(sent) packets") || shaper.output.contains("\(sent - seen.datagrams) dropped"), "\(shaper.output)")
        #expect(shaper.output.contains("up: delivered \(seen.bytes) bytes"), "\(shaper.output)")
    }

    /// The same seed loses the same datagrams.
    @Test func udpLossRepeatsWithTheSeed() async throws {
        var runs: [Set<UInt32>] = []
        for _ in 0..<2 {
            let echo = try LoopbackPeer(.udpEcho)
            defer { echo.shutdown() }
            let (shaper, port) = try await Self.startShaper(["--udp", "--to", "127.0.0.1:\(echo.port)", "--loss", "30", "--seed", "5", "--direction", "up"])
            defer { shaper.kill() }
            runs.append(Set(try await Self.sendDatagrams(count: 200, size: 200, to: port, group: echo.group, settle: 0.5, pace: 0.002)))
            #expect(await Self.terminate(shaper) == 0)
        }
        #expect(runs[0] == runs[1])
        #expect(runs[0].count > 100 && runs[0].count < 180, "about 70 % of 200 arrive: \(runs[0].count)")
    }

    /// Sends numbered datagrams and returns the numbers that came back.
    static func sendDatagrams(count: Int, size: Int, to port: Int, group: any EventLoopGroup, settle: Double, pace: Double = 0) async throws -> [UInt32] {
        let back = Locked([UInt32]())
        let channel = try await DatagramBootstrap(group: group)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(DatagramCollector(numbers: back)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { channel.close(promise: nil) }
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        for i in 0..<count {
            var data = ByteBuffer()
            data.writeInteger(UInt32(i))
            data.writeRepeatingByte(7, count: size - 4)
            try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: data)).get()
            if pace > 0 { try await Task.sleep(for: .seconds(pace)) }
        }
        // The shaper's queue and delay hold datagrams for a while; wait until none has come back for `settle` s.
        var last = -1
        while true {
            try await Task.sleep(for: .seconds(settle))
            let now = back.withLock { $0.count }
            if now == last { break }
            last = now
        }
        return back.value
    }

    @Test func stopsAfterTheDurationWithASummary() async throws {
        let stats = Self.statsPath()
        defer { try? FileManager.default.removeItem(atPath: stats) }
        let p = try ExternalProcess(sluiceBinary, ["shape", "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--udp",
                                                   "--rate", "1", "--direction", "down", "--duration", "1", "--stats", stats])
        #expect(await p.waitForExit(seconds: 20) == 0)
        #expect(p.output.contains("down: delivered 0 bytes"), "\(p.output)")
        #expect(!p.output.contains("up: "), "up is not shaped: \(p.output)")
        let last = try String(contentsOfFile: stats, encoding: .utf8).split(separator: "\n").last ?? ""
        #expect(last.hasPrefix(#"{"summary":[{"#) && last.contains(#""dir":"down""#), "\(last)")
    }

    @Test func badArgumentsGiveOneLineAndFail() async throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-empty-\(UUID().uuidString)").path
        let words = empty + ".txt"
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        _ = FileManager.default.createFile(atPath: words, contents: Data("0 fast\n1 slow\n".utf8))
        defer {
            try? FileManager.default.removeItem(atPath: empty)
            try? FileManager.default.removeItem(atPath: words)
        }
        let busy = try ListeningSocket()
        defer { busy.close() }
        let cases: [([String], String)] = [
            (["--listen", "127.0.0.1:0"], "shape needs --to HOST:PORT"),
            (["--listen", "127.0.0.1:0", "--to", "nowhere"], "--to must be HOST:PORT"),
            (["--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--rate", "-1"], "--rate must be above 0"),
            (["--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--rate", "2", "--trace", empty], "give --rate or --trace, not both"),
            (["--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--trace", empty + ".missing"], "cannot read --trace \(empty).missing: no such file"),
            (["--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--trace", empty], "the trace is empty"),
            (["--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--trace", words], "line 1: expected \"time_s Mbps\""),
            (["--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--loss", "120"], "--loss must be 0–100"),
            (["--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--burst-loss", "0.1"], "--burst-loss must be"),
            (["--listen", "127.0.0.1:\(busy.port)", "--to", "127.0.0.1:9"], "port \(busy.port) is already in use"),
        ]
        for (args, message) in cases {
            let p = try ExternalProcess(sluiceBinary, ["shape"] + args + ["--duration", "5"])
            let status = await p.waitForExit(seconds: 20)
            #expect(status != 0, "\(args) exited \(status)")
            let errorLine = p.errors.split(separator: "\n").first ?? ""
            #expect(errorLine.hasPrefix("Error: ") && errorLine.contains(message), "\(args): \(p.errors)")
            #expect(!p.output.contains("listening on"), "\(args): \(p.output)")
        }
    }
}
