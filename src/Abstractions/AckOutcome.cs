namespace Goflux;

/// <summary>
/// How a message was settled.
/// </summary>
public enum AckOutcome
{
    /// <summary>Not settled yet.</summary>
    None,

    /// <summary>Acknowledged: processed, never to be redelivered.</summary>
    Acked,

    /// <summary>Negatively acknowledged: to be redelivered now.</summary>
    Naked,

    /// <summary>Negatively acknowledged with a delay: to be redelivered after it.</summary>
    NakedWithDelay,

    /// <summary>Terminated: never to be redelivered, not processed.</summary>
    Terminated,
}
