namespace Goflux;

/// <summary>
/// Where a subscription stands, as reported by <see cref="SubscriptionStatus"/>.
/// </summary>
public enum SubscriptionState
{
    /// <summary>No subscription has started yet.</summary>
    NotStarted = 0,

    /// <summary>The subscription is being opened: the consumer is looked up, no pull request is registered yet.</summary>
    Starting,

    /// <summary>The subscription listens: a pull request is registered, so a message published now is delivered.</summary>
    Listening,

    /// <summary>The connection to the server was lost or the server stopped answering; the subscription is trying to resume.</summary>
    Interrupted,

    /// <summary>The subscription ended normally (cancelled or disposed).</summary>
    Stopped,

    /// <summary>The subscription ended with an error; <see cref="SubscriptionStatus.Error"/> says which.</summary>
    Faulted,
}
