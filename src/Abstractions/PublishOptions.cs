namespace Goflux;

/// <summary>
/// Per-publish settings.
/// </summary>
public readonly record struct PublishOptions
{
    /// <summary>
    /// Gets the message id, sent as <c>X-Message-ID</c>. With <see cref="PublisherOptions.DeduplicateByMessageId"/> it is also
    /// sent as <c>Nats-Msg-Id</c>, so the server's duplicate window makes a retried publish idempotent. It must not be
    /// blank and follows the rule of a header value (printable ASCII, no space at either end).
    /// </summary>
    /// <value>The default value is <see langword="null"/> (no id).</value>
    public string? MessageId { get; init; }

    /// <summary>Gets application headers, sent as <c>X-Goflux-{name}</c>.</summary>
    /// <value>The default value is <see langword="null"/> (none).</value>
    public MessageHeaders? Headers { get; init; }
}
