namespace Goflux;

/// <summary>
/// Names goflux uses for tracing and metrics. Subscribe to <see cref="SourceName"/> with an OpenTelemetry SDK
/// (<c>AddSource("Goflux")</c>, <c>AddMeter("Goflux")</c>) or any <see cref="System.Diagnostics.ActivityListener"/>.
/// </summary>
/// <remarks>
/// Publishing opens a <see cref="System.Diagnostics.ActivityKind.Producer"/> activity <c>send {subject}</c> and injects W3C
/// <c>traceparent</c>/<c>tracestate</c> into the message headers. Processing opens a
/// <see cref="System.Diagnostics.ActivityKind.Consumer"/> activity <c>process {subject}</c> that is a root (no parent) with a
/// link to the producer's span: asynchronous messaging decouples the two in time.
/// Every metric carries what it belongs to: publish metrics the subject and, once the server has stored the message, the
/// stream (<see cref="Attributes.Stream"/>); consume, process and ack-outcome metrics the subject, the stream and the
/// consumer (<see cref="Attributes.ConsumerGroup"/>). Metrics are recorded on the shared meter, or on the meter of
/// <see cref="PublisherOptions.MeterFactory"/>/<see cref="SubscriberOptions.MeterFactory"/> when one is set.
/// </remarks>
public static class GofluxTelemetry
{
    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> and the <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string SourceName = "Goflux";

    /// <summary>The value of <c>messaging.system</c> on every transport, as goflux reports it.</summary>
    public const string MessagingSystem = "nats-jetstream";

    /// <summary>
    /// The value of <see cref="Attributes.AckAction"/> recorded for <paramref name="outcome"/>: <c>ack</c>, <c>nak</c>,
    /// <c>nak_delay</c> or <c>term</c> (<c>none</c> for <see cref="AckOutcome.None"/>).
    /// </summary>
    /// <param name="outcome">The outcome.</param>
    /// <returns>The attribute value.</returns>
    public static string AckActionOf(AckOutcome outcome) => Internal.Telemetry.ActionName(outcome);

    /// <summary>Attribute names (OpenTelemetry messaging semantic conventions plus goflux's own).</summary>
    public static class Attributes
    {
        /// <summary><c>messaging.system</c>.</summary>
        public const string System = "messaging.system";

        /// <summary><c>messaging.operation.name</c>.</summary>
        public const string OperationName = "messaging.operation.name";

        /// <summary><c>messaging.operation.type</c>.</summary>
        public const string OperationType = "messaging.operation.type";

        /// <summary><c>messaging.destination.name</c>: the message's subject.</summary>
        public const string DestinationName = "messaging.destination.name";

        /// <summary><c>messaging.destination.subscription.name</c>: the subject the subscription was made for.</summary>
        public const string SubscriptionName = "messaging.destination.subscription.name";

        /// <summary><c>messaging.message.id</c>.</summary>
        public const string MessageId = "messaging.message.id";

        /// <summary><c>messaging.message.body.size</c>.</summary>
        public const string BodySize = "messaging.message.body.size";

        /// <summary><c>messaging.consumer.group.name</c>: the JetStream consumer.</summary>
        public const string ConsumerGroup = "messaging.consumer.group.name";

        /// <summary><c>goflux.stream</c>: the JetStream stream the message was stored in or delivered from.</summary>
        public const string Stream = "goflux.stream";

        /// <summary><c>error.type</c>.</summary>
        public const string ErrorType = "error.type";

        /// <summary><c>goflux.ack.action</c>: ack, nak, nak_delay, term.</summary>
        public const string AckAction = "goflux.ack.action";

        /// <summary><c>goflux.ack.error</c>: whether sending the acknowledgement failed.</summary>
        public const string AckError = "goflux.ack.error";
    }

    /// <summary>Metric instrument names.</summary>
    public static class Metrics
    {
        /// <summary>Counter of messages sent.</summary>
        public const string SentMessages = "messaging.client.sent.messages";

        /// <summary>Counter of messages delivered to a handler (or dropped by a decode failure).</summary>
        public const string ConsumedMessages = "messaging.client.consumed.messages";

        /// <summary>Histogram of publish durations, in seconds.</summary>
        public const string OperationDuration = "messaging.client.operation.duration";

        /// <summary>Histogram of handler durations, in seconds.</summary>
        public const string ProcessDuration = "messaging.process.duration";

        /// <summary>Counter of acknowledgement outcomes by action.</summary>
        public const string AckOutcome = "goflux.processor.ack.outcome";
    }
}
