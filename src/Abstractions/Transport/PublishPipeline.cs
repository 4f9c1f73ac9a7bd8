using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Goflux.Codecs;
using Goflux.Internal;

namespace Goflux.Transport;

/// <summary>
/// The publish half of the goflux pipeline, shared by every transport: validation, producer activity, encoding,
/// wire headers (trace context, message id, prefixed application headers), size check, metrics and error mapping.
/// A transport supplies only the raw publish (<see cref="ITransportPublisher"/>).
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
public sealed class PublishPipeline<T>
{
    private const int HeaderPreambleBytes = 12; // "NATS/1.0\r\n" + final "\r\n"
    private readonly ITransportPublisher _transport;
    private readonly IMessageEncoder<T> _encoder;
    private readonly PublisherOptions _options;
    private readonly Instruments _instruments;

    /// <summary>
    /// Initializes a new instance of the <see cref="PublishPipeline{T}"/> class.
    /// </summary>
    /// <param name="transport">The raw publish.</param>
    /// <param name="encoder">The payload encoder.</param>
    /// <param name="options">The publisher options, or <see langword="null"/> for <see cref="PublisherOptions.Default"/>.</param>
    public PublishPipeline(ITransportPublisher transport, IMessageEncoder<T> encoder, PublisherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(encoder);
        _transport = transport;
        _encoder = encoder;
        _options = options ?? PublisherOptions.Default;
        _options.Validate();
        _instruments = Instruments.For(_options.MeterFactory);
    }

    /// <summary>Gets the options.</summary>
    public PublisherOptions Options => _options;

    /// <summary>Validates, encodes and publishes one message.</summary>
    /// <param name="subject">The literal subject.</param>
    /// <param name="value">The payload.</param>
    /// <param name="options">Per-publish settings.</param>
    /// <param name="cancellationToken">A token to cancel the publish.</param>
    /// <returns>What the transport acknowledged.</returns>
    /// <exception cref="ArgumentException">The subject, the message id or a header is invalid.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is <see langword="null"/>.</exception>
    /// <exception cref="GofluxException">Encoding, the size check or the transport failed.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<PublishResult> PublishAsync(string subject, T value, PublishOptions? options, CancellationToken cancellationToken)
    {
        ValidateInput(subject, value, options);
        var messageId = options?.MessageId;

        var appHeaders = options?.Headers;
        var telemetry = _options.EnableTelemetry;
        long? start = telemetry && _instruments.OperationDuration.Enabled ? _options.TimeProvider.GetTimestamp() : null;
        using var activity = telemetry ? StartProducer(subject, messageId) : null;
        string? errorType = null;
        string? stream = null;
        try
        {
            using var buffer = PooledBufferWriter.Rent();
            try
            {
                _encoder.Encode(value, buffer);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                errorType = "encode";
                throw new GofluxException(GofluxStage.Encode, $"Encoding a {typeof(T).Name} for '{subject}' failed: {ex.Message}", ex, subject)
                {
                    PublishOutcome = PublishOutcome.NotSent,
                };
            }

            activity?.SetTag(GofluxTelemetry.Attributes.BodySize, buffer.WrittenCount);
            var headers = BuildHeaders(activity, messageId, appHeaders);
            CheckSize(subject, buffer.WrittenCount, headers);

            // A token cancelled before anything is sent: nothing is sent, and the caller learns it as a cancellation.
            cancellationToken.ThrowIfCancellationRequested();

            try
            {
                var result = await _transport.PublishAsync(new OutgoingMessage(subject, buffer.WrittenMemory, headers), cancellationToken).ConfigureAwait(false);
                stream = result.Stream;
                return result;
            }
            catch (GofluxException ex)
            {
                errorType = ex.Stage.ToString().ToLowerInvariant();
                throw;
            }
            catch (OperationCanceledException)
            {
                errorType = "cancelled";
                throw;
            }
            catch (Exception ex)
            {
                errorType = "transport";
                throw new GofluxException(GofluxStage.Publish, $"Publishing to '{subject}' failed: {ex.Message}; the outcome is unknown (the message may have been stored)", ex, subject)
                {
                    PublishOutcome = PublishOutcome.Unknown,
                };
            }
        }
        catch (Exception ex) when (activity is not null)
        {
            errorType ??= ex.GetType().Name;
            activity.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity.SetTag(GofluxTelemetry.Attributes.ErrorType, errorType);
            throw;
        }
        finally
        {
            if (telemetry && (_instruments.Sent.Enabled || _instruments.OperationDuration.Enabled))
            {
                Record(subject, stream, start, errorType);
            }
        }
    }

    /// <summary>
    /// Applies the input rules every transport shares, before anything is encoded or sent: a valid literal subject of at
    /// most <see cref="Subjects.MaxLength"/> bytes, a payload, a message id that is not blank and is a valid header value.
    /// Header names and values were checked when they were added to <see cref="MessageHeaders"/>.
    /// </summary>
    /// <param name="subject">The subject.</param>
    /// <param name="value">The payload.</param>
    /// <param name="options">Per-publish settings.</param>
    /// <exception cref="ArgumentException">The subject or the message id is invalid.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="subject"/> or <paramref name="value"/> is <see langword="null"/>.</exception>
    public static void ValidateInput(string subject, T value, PublishOptions? options)
    {
        Subjects.ValidatePublishSubject(subject);
        Subjects.ValidateLength(subject);
        if (value is null)
        {
            throw new ArgumentNullException(nameof(value), $"The payload published to '{subject}' must not be null.");
        }

        var messageId = options?.MessageId;
        if (messageId is not null)
        {
            if (string.IsNullOrWhiteSpace(messageId))
            {
                throw new ArgumentException($"The message id must not be empty or whitespace (was '{Subjects.Printable(messageId)}'); the server would not deduplicate on it.", nameof(options));
            }

            MessageHeaders.ValidateValue(WireHeaders.MessageId, messageId);
        }
    }

    private static Activity? StartProducer(string subject, string? messageId)
    {
        if (!Telemetry.Source.HasListeners())
        {
            return null;
        }

        var activity = Telemetry.Source.StartActivity("send " + subject, ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(GofluxTelemetry.Attributes.System, GofluxTelemetry.MessagingSystem);
            activity.SetTag(GofluxTelemetry.Attributes.OperationName, "send");
            activity.SetTag(GofluxTelemetry.Attributes.OperationType, "send");
            activity.SetTag(GofluxTelemetry.Attributes.DestinationName, subject);
            if (messageId is not null)
            {
                activity.SetTag(GofluxTelemetry.Attributes.MessageId, messageId);
            }
        }

        return activity;
    }

    private void Record(string subject, string? stream, long? start, string? errorType)
    {
        var tags = new TagList
        {
            { GofluxTelemetry.Attributes.System, GofluxTelemetry.MessagingSystem },
            { GofluxTelemetry.Attributes.OperationName, "send" },
            { GofluxTelemetry.Attributes.DestinationName, subject },
        };
        if (!string.IsNullOrEmpty(stream))
        {
            tags.Add(GofluxTelemetry.Attributes.Stream, stream);
        }

        if (errorType is not null)
        {
            tags.Add(GofluxTelemetry.Attributes.ErrorType, errorType);
        }

        if (_instruments.Sent.Enabled)
        {
            _instruments.Sent.Add(1, tags);
        }

        if (start is { } started && _instruments.OperationDuration.Enabled)
        {
            _instruments.OperationDuration.Record(_options.TimeProvider.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    private MessageHeaders? BuildHeaders(Activity? activity, string? messageId, MessageHeaders? appHeaders)
    {
        var context = activity?.Context ?? Activity.Current?.Context ?? default;
        if (context == default && messageId is null && (appHeaders is null || appHeaders.Count == 0))
        {
            return null;
        }

        var headers = new MessageHeaders();
        if (context != default)
        {
            Telemetry.Propagator.Inject(
                new OpenTelemetry.Context.Propagation.PropagationContext(context, OpenTelemetry.Baggage.Current),
                headers,
                static (h, k, v) => h.Set(k, v));
        }

        if (messageId is not null)
        {
            headers.Set(WireHeaders.MessageId, messageId);
            if (_options.DeduplicateByMessageId)
            {
                headers.Set(WireHeaders.NatsMsgId, messageId);
            }
        }

        if (appHeaders is not null)
        {
            foreach (var (name, values) in appHeaders)
            {
                foreach (var v in values)
                {
                    headers.Add(WireHeaders.ApplicationPrefix + name, v);
                }
            }
        }

        return headers;
    }

    private void CheckSize(string subject, int bodyBytes, MessageHeaders? headers)
    {
        var max = _transport.MaxPayload;
        if (max <= 0)
        {
            return;
        }

        long total = bodyBytes;
        if (headers is not null)
        {
            total += HeaderPreambleBytes;
            foreach (var (name, values) in headers)
            {
                foreach (var v in values)
                {
                    total += name.Length + 2 + Encoding.UTF8.GetByteCount(v) + 2;
                }
            }
        }

        if (total > max)
        {
            throw new GofluxException(
                GofluxStage.Publish,
                $"The message for '{subject}' is {total} bytes (payload {bodyBytes} plus headers), over the server's max payload of {max} bytes; nothing was sent.",
                subject: subject)
            {
                IsPermanent = true,
                PublishOutcome = PublishOutcome.NotSent,
            };
        }
    }
}
