/// Which way media flows for us: WHEP viewers receive from us, WHIP publishers send to us.
public enum WebRTCRole: Sendable, Equatable {
    case whep   // we send
    case whip   // we receive
}
