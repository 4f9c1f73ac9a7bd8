using System.Text;

namespace Goflux.Testing;

/// <summary>
/// Every delivery the handlers of one <see cref="TestBackend"/> received and how each was settled, in order. Safe to read
/// while handlers run.
/// </summary>
public sealed class OutcomeLedger
{
    private readonly List<DeliveryRecord> _deliveries = [];

    /// <summary>Gets a snapshot of every delivery so far.</summary>
    public IReadOnlyList<DeliveryRecord> Deliveries
    {
        get
        {
            lock (_deliveries)
            {
                return [.. _deliveries];
            }
        }
    }

    /// <summary>Gets the number of deliveries so far.</summary>
    public int Count
    {
        get
        {
            lock (_deliveries)
            {
                return _deliveries.Count;
            }
        }
    }

    /// <summary>The deliveries to one consumer.</summary>
    /// <param name="consumer">The consumer.</param>
    /// <returns>Its deliveries, in order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="consumer"/> is <see langword="null"/>.</exception>
    public IReadOnlyList<DeliveryRecord> For(TestConsumer consumer)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        return [.. Deliveries.Where(d => d.Stream == consumer.Stream.Name && d.Consumer == consumer.Name)];
    }

    /// <summary>The history of one message: its deliveries, in order (to any consumer unless one is named).</summary>
    /// <param name="messageId">The message id the publisher set.</param>
    /// <param name="consumer">The consumer, or <see langword="null"/> for every consumer.</param>
    /// <returns>The history; empty when the message was never delivered.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="messageId"/> is <see langword="null"/>.</exception>
    public MessageHistory History(string messageId, TestConsumer? consumer = null)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        var deliveries = consumer is null ? Deliveries : For(consumer);
        return new MessageHistory(messageId, [.. deliveries.Where(d => d.MessageId == messageId)]);
    }

    /// <summary>Every delivery, one a line.</summary>
    /// <returns>A multi-line description.</returns>
    public override string ToString()
    {
        var all = Deliveries;
        if (all.Count == 0)
        {
            return "ledger: no deliveries";
        }

        var text = new StringBuilder("ledger: ").Append(all.Count).Append(" deliveries");
        foreach (var d in all)
        {
            text.AppendLine().Append("  ").Append(d);
        }

        return text.ToString();
    }

    internal DeliveryRecord Add(Func<int, DeliveryRecord> create)
    {
        lock (_deliveries)
        {
            var record = create(_deliveries.Count);
            _deliveries.Add(record);
            return record;
        }
    }
}
