namespace Goflux.Hosting;

/// <summary>
/// Wraps the message handling of every hosted consumer. Register implementations in the container
/// (<c>services.AddSingleton&lt;IHostedConsumerFilter, MyFilter&gt;()</c>); they apply when the host starts, in registration
/// order, the last one outermost. The test kit's harness records every delivery and its outcome with one; a filter can also
/// time, log or count deliveries.
/// </summary>
public interface IHostedConsumerFilter
{
    /// <summary>Builds the handling of one hosted consumer's messages.</summary>
    /// <typeparam name="T">The payload type.</typeparam>
    /// <param name="stream">The consumer's stream.</param>
    /// <param name="consumer">The consumer.</param>
    /// <param name="handler">The application's handler itself (resolved from a new scope for each message).</param>
    /// <param name="pipeline">What the host puts around the handler: the settlement step (auto-ack, or retry-ack with its
    /// policy), outermost, then the consumer's middleware (and the filters registered before this one).</param>
    /// <returns>The whole handling; without filters it is <c>pipeline(handler)</c>. A filter that leaves out
    /// <paramref name="pipeline"/> leaves messages unsettled.</returns>
    MessageHandler<T> Apply<T>(string stream, string consumer, MessageHandler<T> handler, Middleware<T> pipeline);
}
