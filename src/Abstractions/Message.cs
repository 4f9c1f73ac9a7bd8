using Goflux.Transport;

namespace Goflux;

/// <summary>
/// A typed message with its subject, headers, delivery metadata and acknowledgement operations.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <remarks>
/// A message settles once: the first of <see cref="AckAsync"/>, <see cref="NakAsync(CancellationToken)"/>,
/// <see cref="NakAsync(TimeSpan, CancellationToken)"/> or <see cref="TermAsync"/> goes to the transport and returns
/// <see langword="true"/>; every later call is a no-op that returns <see langword="false"/>.
/// Fallbacks follow goflux: a transport without delayed nak receives a nak; without term, an ack; a message without an
/// acker settles locally only.
/// </remarks>
public sealed class Message<T>
{
    private readonly IMessageAcker? _acker;
    private readonly Action<AckOutcome, bool>? _onSettled;

    /// <summary>What the message carries beside its acker, in one field (every delivered message pays for its
    /// fields): <see langword="null"/>; the delivery metadata as a boxed <see cref="DeliveryInfo"/> where the acker does
    /// not hold the same (<see cref="IMessageAcker.Delivery"/>, read through instead, so a delivered message keeps no
    /// copy); the term reason (a string) or the nak delay (a boxed <see cref="TimeSpan"/>) once settled that way; or
    /// both of the last two as a <see cref="DeliveryAndDetail"/>.</summary>
    private object? _extra;
    private int _settled;
    private byte _outcome;
    private volatile bool _detached;

    /// <summary>The delivery metadata is the acker's (<see cref="IMessageAcker.Delivery"/>).</summary>
    private readonly bool _deliveryFromAcker;

    /// <summary>
    /// Initializes a new instance of the <see cref="Message{T}"/> class.
    /// </summary>
    /// <param name="subject">The subject the message was published to.</param>
    /// <param name="payload">The decoded payload.</param>
    /// <param name="headers">The application headers, or <see langword="null"/> for none.</param>
    /// <param name="messageId">The message id, or <see langword="null"/>.</param>
    /// <param name="delivery">The delivery metadata, or <see langword="null"/> where the transport has none.</param>
    /// <param name="acker">The transport's acknowledgement operations, or <see langword="null"/> for none.</param>
    public Message(string subject, T payload, MessageHeaders? headers = null, string? messageId = null, DeliveryInfo? delivery = null, IMessageAcker? acker = null)
        : this(subject, payload, headers, messageId, acker, null)
    {
        (_deliveryFromAcker, _extra) = Keep(delivery, acker);
    }

    /// <summary>A delivered message: its metadata is read through its acker where the delivery says it is the acker's
    /// (<see cref="IncomingMessage.DeliveryFromAcker"/>: never copied, never compared, never built unless asked for).</summary>
    internal Message(string subject, T payload, MessageHeaders? headers, string? messageId, in IncomingMessage incoming, Action<AckOutcome, bool>? onSettled)
        : this(subject, payload, headers, messageId, incoming.Acker, onSettled)
    {
        (_deliveryFromAcker, _extra) = incoming.DeliveryFromAcker ? (true, null) : Keep(incoming.Delivery, incoming.Acker);
    }

    private Message(string subject, T payload, MessageHeaders? headers, string? messageId, IMessageAcker? acker, Action<AckOutcome, bool>? onSettled)
    {
        ArgumentNullException.ThrowIfNull(subject);
        Subject = subject;
        Payload = payload;
        Headers = headers ?? MessageHeaders.Empty;
        MessageId = messageId;
        _acker = acker;
        _onSettled = onSettled;
    }

    /// <summary>Gets the subject the message was published to.</summary>
    public string Subject { get; }

    /// <summary>Gets the decoded payload.</summary>
    public T Payload { get; }

    /// <summary>Gets the application headers (case-sensitive; the wire prefix is already stripped).</summary>
    public MessageHeaders Headers { get; }

    /// <summary>Gets the message id (<c>X-Message-ID</c>), or <see langword="null"/> when the publisher set none.</summary>
    public string? MessageId { get; }

    /// <summary>Gets the delivery metadata, or <see langword="null"/> where the transport has none.</summary>
    public DeliveryInfo? Delivery => _deliveryFromAcker
        ? _acker!.Delivery
        : _extra switch
        {
            DeliveryInfo d => d,
            DeliveryAndDetail both => both.Delivery,
            _ => null,
        };

    /// <summary>Gets how the message was settled; <see cref="AckOutcome.None"/> until then.</summary>
    public AckOutcome Outcome
    {
        get => (AckOutcome)_outcome;
        private set => _outcome = (byte)value;
    }

    /// <summary>Gets the terminate reason, when the message was terminated with one.</summary>
    public string? TermReason => Detail as string;

    /// <summary>Gets the delay of a nak with delay, when the message was settled that way.</summary>
    public TimeSpan? NakDelay => Detail is TimeSpan delay ? delay : null;

    /// <summary>Gets a value indicating whether the message has been settled.</summary>
    public bool IsSettled => Volatile.Read(ref _settled) != 0;

    /// <summary>Gets the acker's capabilities (<see cref="AckCapabilities.None"/> when there is no acker).</summary>
    public AckCapabilities Capabilities => _acker?.Capabilities ?? AckCapabilities.None;

    /// <summary>Acknowledges the message.</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns><see langword="true"/> when this call settled the message; <see langword="false"/> when it was already settled.</returns>
    /// <exception cref="GofluxException">The transport failed to send the acknowledgement.</exception>
    public ValueTask<bool> AckAsync(CancellationToken cancellationToken = default)
    {
        if (!TrySettle())
        {
            return new(false);
        }

        return SettleAsync(AckOutcome.Acked, 0, static (acker, _, ct) => acker.AckAsync(ct), cancellationToken);
    }

    /// <summary>Negatively acknowledges the message, asking for an immediate redelivery.</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns><see langword="true"/> when this call settled the message; <see langword="false"/> when it was already settled.</returns>
    /// <exception cref="GofluxException">The transport failed to send the nak.</exception>
    public ValueTask<bool> NakAsync(CancellationToken cancellationToken = default)
    {
        if (!TrySettle())
        {
            return new(false);
        }

        return SettleAsync(AckOutcome.Naked, (TimeSpan?)null, static (acker, d, ct) => acker.NakAsync(d, ct), cancellationToken);
    }

    /// <summary>Negatively acknowledges the message, asking for a redelivery after <paramref name="delay"/>.</summary>
    /// <param name="delay">The redelivery delay; must not be negative.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns><see langword="true"/> when this call settled the message; <see langword="false"/> when it was already settled.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    /// <exception cref="GofluxException">The transport failed to send the nak.</exception>
    /// <remarks>A transport without delayed nak receives a plain nak.</remarks>
    public ValueTask<bool> NakAsync(TimeSpan delay, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        if (!TrySettle())
        {
            return new(false);
        }

        if (_acker is not null && (_acker.Capabilities & AckCapabilities.NakDelay) == 0)
        {
            return SettleAsync(AckOutcome.Naked, (TimeSpan?)null, static (acker, d, ct) => acker.NakAsync(d, ct), cancellationToken);
        }

        SetDetail(delay);
        return SettleAsync(AckOutcome.NakedWithDelay, (TimeSpan?)delay, static (acker, d, ct) => acker.NakAsync(d, ct), cancellationToken);
    }

    /// <summary>Terminates the message: it is never redelivered.</summary>
    /// <param name="reason">Why, or <see langword="null"/>. Sent to servers that understand it. It follows the rule of a
    /// header value (<see cref="MessageHeaders.ValidateValue"/>): printable ASCII, no space at either end. For text you do
    /// not control, such as an exception's message, pass it through <see cref="MessageHeaders.ToValidValue"/> first.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns><see langword="true"/> when this call settled the message; <see langword="false"/> when it was already settled.</returns>
    /// <exception cref="ArgumentException"><paramref name="reason"/> breaks the header value rule; the message is not
    /// settled.</exception>
    /// <exception cref="GofluxException">The transport failed to send the term.</exception>
    /// <remarks>A transport without term receives an ack.</remarks>
    public ValueTask<bool> TermAsync(string? reason = null, CancellationToken cancellationToken = default)
    {
        if (reason is not null)
        {
            MessageHeaders.ValidateValue("term reason", reason);
        }

        if (!TrySettle())
        {
            return new(false);
        }

        if (_acker is not null && (_acker.Capabilities & AckCapabilities.Term) == 0)
        {
            return SettleAsync(AckOutcome.Acked, 0, static (acker, _, ct) => acker.AckAsync(ct), cancellationToken);
        }

        if (reason is not null)
        {
            SetDetail(reason);
        }

        return SettleAsync(AckOutcome.Terminated, reason, static (acker, r, ct) => acker.TermAsync(r, ct), cancellationToken);
    }

    /// <summary>Tells the server the message is still being worked on, resetting its ack wait. Does not settle.</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns><see langword="true"/> when the signal was sent; <see langword="false"/> when the message is already settled or the transport has no such signal.</returns>
    /// <exception cref="GofluxException">The transport failed to send the signal.</exception>
    public async ValueTask<bool> InProgressAsync(CancellationToken cancellationToken = default)
    {
        if (IsSettled || _acker is null || (_acker.Capabilities & AckCapabilities.InProgress) == 0)
        {
            return false;
        }

        try
        {
            await _acker.InProgressAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not GofluxException and not OperationCanceledException)
        {
            throw new GofluxException(GofluxStage.Transport, $"In-progress signal for a message on '{Subject}' failed: {ex.Message}", ex, Subject);
        }

        return true;
    }

    /// <summary>Gets a value indicating whether settling was handed over to a stream consumer (see the channel bridge).</summary>
    internal bool IsDetached => _detached;

    /// <summary>Hands settling over to whoever reads the message from a channel: the subscriber will not auto-ack it.</summary>
    internal void Detach() => _detached = true;

    /// <summary>The term reason or nak delay, or <see langword="null"/>.</summary>
    private object? Detail => _extra switch
    {
        DeliveryInfo => null,
        DeliveryAndDetail both => both.Detail,
        var detail => detail,
    };

    /// <summary>Where given metadata lives: read through the acker when it holds the same, else kept boxed.</summary>
    private static (bool FromAcker, object? Own) Keep(DeliveryInfo? delivery, IMessageAcker? acker) =>
        delivery is not { } d ? (false, null)
        : acker?.Delivery is { } held && held == d ? (true, null)
        : (false, d);

    private bool TrySettle() => Interlocked.Exchange(ref _settled, 1) == 0;

    /// <summary>Keeps what the settling carries; called once, by the call that settled the message. A reader of
    /// <see cref="Delivery"/> on another thread sees the metadata before and after.</summary>
    private void SetDetail(object detail) =>
        _extra = _extra is DeliveryInfo delivery ? new DeliveryAndDetail(delivery, detail) : detail;

    private ValueTask<bool> SettleAsync<TState>(AckOutcome outcome, TState state, Func<IMessageAcker, TState, CancellationToken, ValueTask> send, CancellationToken cancellationToken)
    {
        Outcome = outcome;
        if (_acker is null)
        {
            _onSettled?.Invoke(outcome, false);
            return new(true);
        }

        ValueTask wire;
        try
        {
            wire = send(_acker, state, cancellationToken);
        }
        catch (Exception ex)
        {
            // An acker that throws instead of returning a faulted task is wrapped like any other transport failure.
            wire = ValueTask.FromException(ex);
        }

        if (wire.IsCompletedSuccessfully)
        {
            wire.GetAwaiter().GetResult();
            _onSettled?.Invoke(outcome, false);
            return new(true);
        }

        return AwaitAsync(wire);
    }

    private async ValueTask<bool> AwaitAsync(ValueTask wire)
    {
        try
        {
            await wire.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _onSettled?.Invoke(Outcome, true);
            if (ex is GofluxException or OperationCanceledException)
            {
                throw;
            }

            throw new GofluxException(GofluxStage.Transport, $"Settling a message on '{Subject}' as {Outcome} failed: {ex.Message}", ex, Subject);
        }

        _onSettled?.Invoke(Outcome, false);
        return true;
    }

    /// <summary>A message's own delivery metadata and what its settling carried.</summary>
    private sealed class DeliveryAndDetail(DeliveryInfo delivery, object detail)
    {
        public DeliveryInfo Delivery { get; } = delivery;

        public object Detail { get; } = detail;
    }
}
