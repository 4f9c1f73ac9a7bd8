using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Goflux.Testing.Internal;

/// <summary>Wraps a handler (and its middleware) so that every delivery, its settlement and the handler's exception land in the ledger.</summary>
internal sealed class LedgerRecorder<T>(OutcomeLedger ledger, TimeProvider clock, DateTimeOffset start)
{
    private readonly ConditionalWeakTable<Message<T>, DeliveryRecord> _records = [];

    public MessageHandler<T> Wrap(MessageHandler<T> handler, Middleware<T>? middleware)
    {
        MessageHandler<T> inner = async (message, ct) =>
        {
            try
            {
                await handler(message, ct).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                if (_records.TryGetValue(message, out var record))
                {
                    record.SetException(ex);
                }

                throw;
            }
        };
        var chained = middleware is null ? inner : middleware(inner);
        return async (message, ct) =>
        {
            var now = clock.GetUtcNow();
            var activity = Activity.Current is { Kind: ActivityKind.Consumer } a && a.Source.Name == GofluxTelemetry.SourceName ? a : null;
            var record = ledger.Add(index => new DeliveryRecord(
                index,
                message.Subject,
                message.MessageId,
                message.Delivery,
                now,
                now - start,
                activity,
                () => message.Outcome,
                () => message.NakDelay,
                () => message.TermReason));
            _records.AddOrUpdate(message, record);
            try
            {
                await chained(message, ct).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                record.SetException(ex);
                throw;
            }
        };
    }
}
