using Goflux.JetStream.Internal;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Goflux.JetStream;

/// <summary>
/// Idempotent helpers that declare the streams and consumers a service needs at start-up, reporting failures as
/// <see cref="GofluxException"/> with the server's <c>err_code</c>.
/// </summary>
public static class JetStreamSetup
{
    /// <summary>How long <see cref="EnsureStreamAsync"/> and <see cref="CreateOrUpdateConsumerAsync"/> wait for the server: 10 seconds.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Creates the stream described by <paramref name="config"/>, or returns it when it already exists with that
    /// configuration. Safe to call on every start of every instance of a service.
    /// </summary>
    /// <param name="js">The JetStream context.</param>
    /// <param name="config">The stream configuration (NATS.Net's own model, so the same object also configures the in-memory backend).</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>The stream.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="js"/> or <paramref name="config"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="config"/> has no name.</exception>
    /// <exception cref="GofluxException">
    /// The stream exists with a different configuration (<see cref="GofluxException.ErrorCode"/> 10058; it is left
    /// unchanged), the server rejected the configuration (its <c>err_code</c>), or the server did not answer within
    /// <see cref="Timeout"/>. The stage is <see cref="GofluxStage.Transport"/>.
    /// </exception>
    /// <remarks>
    /// This is goflux's <c>NewStream</c> with one deliberate difference: it never changes an existing stream. The
    /// server compares configurations after applying its defaults, so repeating the same configuration succeeds and
    /// returns the existing stream with its messages; a different one is reported instead of silently applied. Change
    /// a stream on purpose with <c>INatsJSContext.UpdateStreamAsync</c>.
    /// </remarks>
    public static async ValueTask<INatsJSStream> EnsureStreamAsync(INatsJSContext js, StreamConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(config.Name, "config.Name");
        var name = config.Name;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            return await js.CreateStreamAsync(config, timeout.Token).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode == JetStreamErrorCodes.StreamNameInUse)
        {
            throw new GofluxException(
                GofluxStage.Transport,
                $"Stream '{name}' already exists with a different configuration and was left unchanged (err_code {JetStreamErrorCodes.StreamNameInUse}). Update it explicitly or choose another name.",
                ex,
                errorCode: JetStreamErrorCodes.StreamNameInUse);
        }
        catch (NatsJSApiException ex)
        {
            throw new GofluxException(
                GofluxStage.Transport,
                $"Creating stream '{name}' failed: {ex.Error.Description} (err_code {ex.Error.ErrCode}).",
                ex,
                errorCode: ex.Error.ErrCode);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GofluxException(GofluxStage.Transport, $"Creating stream '{name}' timed out after {Timeout.TotalSeconds:0} s.", ex);
        }
        catch (Exception ex) when (Errors.IsNatsFailure(ex))
        {
            throw new GofluxException(GofluxStage.Transport, $"Creating stream '{name}' failed: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Creates the consumer described by <paramref name="config"/> on <paramref name="stream"/>, or updates it in place
    /// when it exists (keeping its delivery state). Safe to call on every start.
    /// </summary>
    /// <param name="js">The JetStream context.</param>
    /// <param name="stream">The stream name.</param>
    /// <param name="config">The consumer configuration; give it a durable name for a consumer that outlives the process.</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>The consumer, ready for <see cref="JetStreamSubscriber{T}"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="js"/>, <paramref name="stream"/> or <paramref name="config"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is empty.</exception>
    /// <exception cref="GofluxException">
    /// The stream does not exist (<see cref="GofluxException.ErrorCode"/> 10059), the server rejected the configuration
    /// (for example a change of a field that cannot be updated; its <c>err_code</c>), or the server did not answer within
    /// <see cref="Timeout"/>. The stage is <see cref="GofluxStage.Subscribe"/>.
    /// </exception>
    public static async ValueTask<INatsJSConsumer> CreateOrUpdateConsumerAsync(INatsJSContext js, string stream, ConsumerConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ArgumentNullException.ThrowIfNull(config);
        var name = config.Name ?? config.DurableName ?? "(unnamed)";

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            return await js.CreateOrUpdateConsumerAsync(stream, config, timeout.Token).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex)
        {
            var what = ex.Error.ErrCode == JetStreamErrorCodes.StreamNotFound
                ? $"stream '{stream}' does not exist"
                : ex.Error.Description;
            throw new GofluxException(
                GofluxStage.Subscribe,
                $"Creating consumer '{name}' on stream '{stream}' failed: {what} (err_code {ex.Error.ErrCode}).",
                ex,
                errorCode: ex.Error.ErrCode);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GofluxException(GofluxStage.Subscribe, $"Creating consumer '{name}' on stream '{stream}' timed out after {Timeout.TotalSeconds:0} s.", ex);
        }
        catch (Exception ex) when (Errors.IsNatsFailure(ex))
        {
            throw new GofluxException(GofluxStage.Subscribe, $"Creating consumer '{name}' on stream '{stream}' failed: {ex.Message}", ex);
        }
    }
}
