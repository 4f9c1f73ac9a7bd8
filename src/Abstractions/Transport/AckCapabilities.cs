namespace Goflux.Transport;

/// <summary>
/// What a transport's acknowledgements support beyond a plain ack and nak.
/// </summary>
[Flags]
public enum AckCapabilities
{
    /// <summary>Only ack and nak.</summary>
    None = 0,

    /// <summary>Nak with a redelivery delay.</summary>
    NakDelay = 1,

    /// <summary>Terminate (never redeliver).</summary>
    Term = 2,

    /// <summary>A terminate reason travels to the server.</summary>
    TermReason = 4,

    /// <summary>In-progress (resets the ack wait).</summary>
    InProgress = 8,

    /// <summary>Everything JetStream offers.</summary>
    All = NakDelay | Term | TermReason | InProgress,
}
