namespace Goflux.Transport;

/// <summary>
/// Header names goflux writes on the wire.
/// </summary>
public static class WireHeaders
{
    /// <summary>The message id header.</summary>
    public const string MessageId = "X-Message-ID";

    /// <summary>The prefix of application headers on the wire; stripped on receipt.</summary>
    public const string ApplicationPrefix = "X-Goflux-";

    /// <summary>The header JetStream deduplicates on.</summary>
    public const string NatsMsgId = "Nats-Msg-Id";

    /// <summary>The W3C trace context header.</summary>
    public const string TraceParent = "traceparent";

    /// <summary>The W3C trace state header.</summary>
    public const string TraceState = "tracestate";
}
