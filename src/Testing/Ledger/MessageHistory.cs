using System.Collections;
using System.Text;

namespace Goflux.Testing;

/// <summary>Every delivery of one message to one consumer, in order: what a test asserts on with <c>Should()</c>.</summary>
public sealed class MessageHistory : IReadOnlyList<DeliveryRecord>
{
    private readonly IReadOnlyList<DeliveryRecord> _deliveries;

    internal MessageHistory(string messageId, IReadOnlyList<DeliveryRecord> deliveries)
    {
        MessageId = messageId;
        _deliveries = deliveries;
    }

    /// <summary>Gets the message id.</summary>
    public string MessageId { get; }

    /// <summary>Gets the number of deliveries.</summary>
    public int Count => _deliveries.Count;

    /// <summary>Gets how many times the message was redelivered (deliveries after the first).</summary>
    public int Redeliveries => Math.Max(0, _deliveries.Count - 1);

    /// <summary>Gets the last delivery's outcome; <see cref="AckOutcome.None"/> when there is none or it is unsettled.</summary>
    public AckOutcome FinalOutcome => _deliveries.Count == 0 ? AckOutcome.None : _deliveries[^1].Outcome;

    /// <summary>Gets the delivery at <paramref name="index"/>.</summary>
    /// <param name="index">The position, 0 for the first delivery.</param>
    /// <returns>The delivery.</returns>
    public DeliveryRecord this[int index] => _deliveries[index];

    /// <inheritdoc />
    public IEnumerator<DeliveryRecord> GetEnumerator() => _deliveries.GetEnumerator();

    /// <inheritdoc />
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The whole history, one delivery a line.</summary>
    /// <returns>A multi-line description.</returns>
    public override string ToString()
    {
        if (_deliveries.Count == 0)
        {
            return $"message {MessageId}: never delivered";
        }

        var text = new StringBuilder().Append("message ").Append(MessageId).Append(": ").Append(_deliveries.Count).Append(" deliveries");
        foreach (var d in _deliveries)
        {
            text.AppendLine().Append("  ").Append(d);
        }

        return text.ToString();
    }
}
