#if canImport(Glibc)
import Glibc
#endif
import MediaCore
import NIOCore
import NIOEmbedded
import Testing

/// The listener pause on EMFILE, on an embedded channel with its clock moved by hand.
@Suite struct ListenerBackoffTests {
    final class Reports: @unchecked Sendable { var count = 0 } // touched on the embedded loop only

    @Test func anAcceptFailurePausesForASecondAndIsReportedOncePerPause() throws {
        let loop = EmbeddedEventLoop()
        let reports = Reports()
        let channel = EmbeddedChannel(handler: ListenerBackoff { _ in reports.count += 1 }, loop: loop)
        let emfile = IOError(errnoCode: EMFILE, reason: "accept4")

        channel.pipeline.fireErrorCaught(emfile)
        #expect(reports.count == 1)
        #expect(throws: IOError.self) { try channel.throwIfErrorCaught() } // passed on
        // Paused: a failure now (a read already in flight) is not a second report.
        channel.pipeline.fireErrorCaught(emfile)
        #expect(reports.count == 1)
        loop.advanceTime(by: .milliseconds(999))
        channel.pipeline.fireErrorCaught(emfile)
        #expect(reports.count == 1)
        // The pause is over: the next failure pauses again and says so.
        loop.advanceTime(by: .milliseconds(1))
        channel.pipeline.fireErrorCaught(emfile)
        #expect(reports.count == 2)
        // Not an I/O error: passed on, no pause.
        loop.advanceTime(by: .seconds(1))
        channel.pipeline.fireErrorCaught(ChannelError.ioOnClosedChannel)
        #expect(reports.count == 2)
        _ = try? channel.finish()
    }
}
