using Goflux.InMemory.Internal;
using NATS.Client.JetStream.Models;

namespace Goflux.InMemory;

public sealed partial class InMemoryJetStream
{
    private enum ConsumerAction
    {
        CreateOrUpdate,
        Create,
        Update,
    }

    /// <summary>
    /// Creates a consumer, or updates it in place (state kept) when it exists (S-50, S-51): a pull consumer, or a push
    /// consumer when <c>DeliverSubject</c> is set (S-124 to S-134).
    /// </summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="config">NATS.Net's consumer configuration. Only <c>DurableName</c> makes a consumer durable (S-46).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A handle on the consumer.</returns>
    /// <exception cref="GofluxException">The stream does not exist (10059), or the configuration is invalid (the server's code).</exception>
    public ValueTask<InMemoryConsumer> CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken = default)
        => new(UpsertConsumer(stream, config, ConsumerAction.CreateOrUpdate));

    /// <summary>Creates a consumer; an existing one with a different configuration is an error (10148, S-50).</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="config">The configuration.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A handle on the consumer.</returns>
    /// <exception cref="GofluxException">The stream does not exist, the consumer exists with another configuration, or the configuration is invalid.</exception>
    public ValueTask<InMemoryConsumer> CreateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken = default)
        => new(UpsertConsumer(stream, config, ConsumerAction.Create));

    /// <summary>Updates an existing consumer; a missing one is an error (10149, S-50).</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="config">The configuration.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A handle on the consumer.</returns>
    /// <exception cref="GofluxException">The stream or consumer does not exist, or the change is not allowed (10012).</exception>
    public ValueTask<InMemoryConsumer> UpdateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken = default)
        => new(UpsertConsumer(stream, config, ConsumerAction.Update));

    /// <summary>Gets a handle on an existing consumer.</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="consumer">The consumer name.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The handle.</returns>
    /// <exception cref="GofluxException">The stream (10059) or the consumer (10014) does not exist.</exception>
    public ValueTask<InMemoryConsumer> GetConsumerAsync(string stream, string consumer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(consumer);
        using var op = _ctx.Enter(); // reading the clock may fire a due timer: leaving re-arms it (see Scheduler)
        var c = _ctx.GetConsumer(stream, consumer);
        return new(new InMemoryConsumer(this, stream, consumer, c.Info(_ctx.Now)));
    }

    /// <summary>Gets a consumer's configuration and counters (S-100 to S-105).</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="consumer">The consumer name.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The info.</returns>
    /// <exception cref="GofluxException">The stream (10059) or the consumer (10014) does not exist.</exception>
    public ValueTask<ConsumerInfo> GetConsumerInfoAsync(string stream, string consumer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(consumer);
        using var op = _ctx.Enter();
        return new(_ctx.GetConsumer(stream, consumer).Info(_ctx.Now));
    }

    /// <summary>Deletes a consumer; its open pull requests end with an error (S-74). On an interest stream, messages no
    /// remaining consumer needs are removed (S-40).</summary>
    /// <param name="stream">The stream name.</param>
    /// <param name="consumer">The consumer name.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A completed task.</returns>
    /// <exception cref="GofluxException">The stream (10059) or the consumer (10014) does not exist.</exception>
    public ValueTask DeleteConsumerAsync(string stream, string consumer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(consumer);
        using var op = _ctx.Enter();
        var c = _ctx.GetConsumer(stream, consumer);
        c.Stream.RemoveConsumer(c, ConsumerDeleted());
        return default;
    }

    private static GofluxException ConsumerDeleted() => new(GofluxStage.Subscribe, "consumer deleted", null, null, 409);

    private InMemoryConsumer UpsertConsumer(string stream, ConsumerConfig config, ConsumerAction action)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(config);
        try
        {
            using var op = _ctx.Enter();
            return UpsertConsumerLocked(stream, config, action);
        }
        catch (GofluxException ex) when (ex.Stage != GofluxStage.Subscribe)
        {
            // As on a server through the JetStream backend (BackendErrors): a consumer that cannot be created fails at stage Subscribe.
            throw new GofluxException(GofluxStage.Subscribe, ex.Message, ex.InnerException, ex.Subject, ex.ErrorCode);
        }
    }

    private InMemoryConsumer UpsertConsumerLocked(string stream, ConsumerConfig config, ConsumerAction action)
    {
        _ctx.ThrowIfDisposed();

        // What the server checks before it looks the stream up, in its order: the name the create subject carries
        // (NATS.Net sends Name, else the durable name), the durable name against it, replicas.
        if ((!string.IsNullOrEmpty(config.Name) ? config.Name : config.DurableName) is { Length: > 0 } subjectName)
        {
            ConsumerRules.CheckPathSeparators(subjectName);
        }

        if (!string.IsNullOrEmpty(config.DurableName) && !string.IsNullOrEmpty(config.Name) && config.DurableName != config.Name)
        {
            // NATS.Net sends the name as the API subject token; the server then reports the mismatch with the
            // durable name (10017) before its own Durable/Name check (10132) is reached (S-07).
            throw Errors.DurableNameMismatch();
        }

        if (config.NumReplicas > 1)
        {
            throw Errors.ReplicasNotSupported();
        }

        var s = _ctx.Streams.GetValueOrDefault(stream) ?? throw Errors.StreamNotFound();
        var durable = !string.IsNullOrEmpty(config.DurableName);
        var name = durable ? config.DurableName! : !string.IsNullOrEmpty(config.Name) ? config.Name! : ConsumerRules.RandomName();
        ConsumerRules.ValidateName(name);
        ConsumerRules.Validate(s, config);
        var n = ConsumerRules.Normalize(config, name, durable);

        if (s.Consumer(name) is { } existing)
        {
            if (action == ConsumerAction.Create && !ConsumerRules.Same(existing.Config, n))
            {
                throw Errors.Api(JetStreamErrorCodes.ConsumerAlreadyExists, "consumer already exists");
            }

            // The server applies a create or update of an existing consumer as an update, even an identical one: it
            // recounts what is pending and, on an interest stream, removes what nobody needs (S-50). A work queue's
            // partitions are checked first, then what an update may not change (S-51, S-129), in the server's order.
            ConsumerRules.CheckWorkQueuePartition(s, n);
            ConsumerRules.CheckUpdate(existing.Config, n, _ctx.Push.AnyMatching);
            existing.Reconfigure(n);
            return new InMemoryConsumer(this, stream, name, existing.Info(_ctx.Now));
        }

        if (action == ConsumerAction.Update)
        {
            throw Errors.Api(JetStreamErrorCodes.ConsumerDoesNotExist, "consumer does not exist");
        }

        if (s.Config.MaxConsumers > 0 && s.ConsumerCount >= s.Config.MaxConsumers)
        {
            throw Errors.Api(JetStreamErrorCodes.MaximumConsumersLimit, "maximum consumers limit reached");
        }

        ConsumerRules.CheckWorkQueue(s, n);
        var c = new ConsumerState(_ctx, s, name, n, _ctx.Now);
        c.Start();
        s.AddConsumer(c);
        c.Advise(created: true); // S-47, S-106

        // The server snapshots the info it answers with before its delivery loop starts (S-155): a push consumer's
        // create response counts what is stored as pending even when its listener gets it all at once. NATS.Net's
        // Key/Value keys and watch read that count to know whether anything is coming.
        var info = c.Info(_ctx.Now);
        if (c.IsPush)
        {
            c.Dispatch(); // created with interest: what is stored goes out at once (S-126)
        }

        return new InMemoryConsumer(this, stream, name, info);
    }
}
