namespace Goflux.Testing;

/// <summary>
/// A message published through a <see cref="TestBackend"/>'s backend (by the test's publishers, or by the application's
/// under <see cref="GofluxTestHarnessExtensions.AddGofluxTestHarness"/>) and stored by the stream.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <param name="Subject">The subject it was published to, under the backend's prefix (see <see cref="TestBackend.Subject"/>).</param>
/// <param name="Payload">The payload.</param>
/// <param name="MessageId">The message id the publisher set, or <see langword="null"/>.</param>
/// <param name="Headers">The application headers the publisher set, or <see langword="null"/>.</param>
/// <param name="Result">What the stream acknowledged: stream, sequence, duplicate.</param>
/// <param name="Elapsed">When it was acknowledged, as time since the backend started (virtual on the engine).</param>
public sealed record PublishedMessage<T>(string Subject, T Payload, string? MessageId, MessageHeaders? Headers, PublishResult Result, TimeSpan Elapsed)
{
    /// <inheritdoc />
    public override string ToString() => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"t=+{Elapsed.TotalSeconds:0.000}s published {typeof(T).Name} {MessageId ?? "(no id)"} to {Subject} (stream {Result.Stream} seq {Result.Sequence}{(Result.Duplicate ? ", duplicate" : string.Empty)})");
}
