namespace Goflux;

/// <summary>
/// What a failed publish is known to have done, as reported by <see cref="GofluxException.PublishOutcome"/>. It tells a
/// caller whether retrying can store the message twice.
/// </summary>
public enum PublishOutcome
{
    /// <summary>Not a publish failure, or a failure that is not classified (for example an encoding error).</summary>
    None = 0,

    /// <summary>
    /// Nothing was sent: the message never left the client (for example the connection did not open within the publish
    /// timeout, or the message is over the server's max payload). Nothing was stored; a retry cannot make a duplicate.
    /// </summary>
    NotSent,

    /// <summary>
    /// The server answered with an error (<see cref="GofluxException.ErrorCode"/> says which): the message was not
    /// stored.
    /// </summary>
    Rejected,

    /// <summary>
    /// The server answered that nothing listens on the subject (a definite no-responders reply): no stream captures it,
    /// and the message was not stored.
    /// </summary>
    NoStream,

    /// <summary>
    /// The message was sent but no acknowledgement arrived (timeout, lost connection, or the caller cancelled while
    /// waiting): it may or may not have been stored. Retry with the same message id and deduplication to stay
    /// idempotent; without one, a retry may store it twice.
    /// </summary>
    Unknown,
}
