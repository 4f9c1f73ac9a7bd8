namespace Goflux;

/// <summary>
/// The one exception type goflux raises for failures of the messaging pipeline. It says which
/// <see cref="Stage"/> failed, on which <see cref="Subject"/>, and keeps the cause as <see cref="Exception.InnerException"/>.
/// </summary>
/// <remarks>
/// Invalid arguments (a malformed subject, a <see langword="null"/> payload, a header with CR/LF) are reported with
/// <see cref="ArgumentException"/> and its subclasses before anything reaches a transport.
/// </remarks>
public sealed class GofluxException : Exception
{
    /// <summary>
    /// Initializes a new instance of the <see cref="GofluxException"/> class.
    /// </summary>
    public GofluxException()
        : this(GofluxStage.Transport, "A goflux operation failed.")
    {
    }

    /// <summary>
    /// Initializes a new instance of the <see cref="GofluxException"/> class with a message.
    /// </summary>
    /// <param name="message">The message that describes the error.</param>
    public GofluxException(string message)
        : this(GofluxStage.Transport, message)
    {
    }

    /// <summary>
    /// Initializes a new instance of the <see cref="GofluxException"/> class with a message and a cause.
    /// </summary>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The cause.</param>
    public GofluxException(string message, Exception? innerException)
        : this(GofluxStage.Transport, message, innerException)
    {
    }

    /// <summary>
    /// Initializes a new instance of the <see cref="GofluxException"/> class.
    /// </summary>
    /// <param name="stage">The stage that failed.</param>
    /// <param name="message">The message that describes the error.</param>
    /// <param name="innerException">The cause, if any.</param>
    /// <param name="subject">The subject involved, if any.</param>
    /// <param name="errorCode">The JetStream API error code (<c>err_code</c>), when the server reported one.</param>
    public GofluxException(GofluxStage stage, string message, Exception? innerException = null, string? subject = null, int? errorCode = null)
        : base(message, innerException)
    {
        Stage = stage;
        Subject = subject;
        ErrorCode = errorCode;
    }

    /// <summary>
    /// Gets a value indicating whether retrying the same operation cannot succeed: the message is invalid for the server
    /// whatever happens (for example over its max payload or over the stream's max message size).
    /// <see cref="RetryingPublisher{T}"/> does not retry such failures.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool IsPermanent { get; init; }

    /// <summary>
    /// Gets what a failed publish is known to have done: <see cref="Goflux.PublishOutcome.NotSent"/>,
    /// <see cref="Goflux.PublishOutcome.Rejected"/> and <see cref="Goflux.PublishOutcome.NoStream"/> mean nothing was
    /// stored; <see cref="Goflux.PublishOutcome.Unknown"/> means the message was sent but not acknowledged, so it may
    /// have been stored. <see cref="Goflux.PublishOutcome.None"/> for failures that are not publishes.
    /// </summary>
    /// <value>The default value is <see cref="Goflux.PublishOutcome.None"/>.</value>
    public PublishOutcome PublishOutcome { get; init; }

    /// <summary>
    /// Gets a value indicating whether the publish was sent but not acknowledged, so the message may have been stored
    /// (<see cref="PublishOutcome"/> is <see cref="Goflux.PublishOutcome.Unknown"/>).
    /// </summary>
    public bool IsOutcomeUnknown => PublishOutcome == PublishOutcome.Unknown;

    /// <summary>Gets the stage of the pipeline that failed.</summary>
    public GofluxStage Stage { get; }

    /// <summary>Gets the subject involved, or <see langword="null"/> when none applies.</summary>
    public string? Subject { get; }

    /// <summary>
    /// Gets the JetStream API error code (<c>err_code</c>, for example 10059 for "stream not found") when the server
    /// reported one; otherwise <see langword="null"/>.
    /// </summary>
    public int? ErrorCode { get; }
}
