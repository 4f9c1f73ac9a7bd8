using Microsoft.Extensions.DependencyInjection;
using NATS.Client.JetStream.Models;

namespace Goflux.Hosting.Internal;

/// <summary>A hosted consumer as declared: where it reads from and what handles its messages.</summary>
internal abstract class HandlerRegistration(string stream, string consumer, Type? handlerType)
{
    public string Stream { get; } = stream;

    public string Consumer { get; } = consumer;

    /// <summary>Gets the handler class, or <see langword="null"/> for a delegate.</summary>
    public Type? HandlerType { get; } = handlerType;

    public abstract Type PayloadType { get; }

    public abstract HostedConsumer Create(IServiceProvider services, GofluxFactory factory, GofluxHandlerOptions options, ConsumerDeclaration declaration, StreamConfig stream);
}

internal sealed class HandlerRegistration<T>(
    string stream,
    string consumer,
    Type? handlerType,
    Func<IServiceProvider, Message<T>, CancellationToken, ValueTask> invoke,
    GofluxHandlerBuilder<T>.HandlerPipeline pipeline)
    : HandlerRegistration(stream, consumer, handlerType)
{
    public override Type PayloadType => typeof(T);

    public override HostedConsumer Create(IServiceProvider services, GofluxFactory factory, GofluxHandlerOptions options, ConsumerDeclaration declaration, StreamConfig stream)
    {
        var scopes = services.GetRequiredService<IServiceScopeFactory>();
        MessageHandler<T> terminal = async (message, cancellationToken) =>
        {
            var scope = scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                await invoke(scope.ServiceProvider, message, cancellationToken).ConfigureAwait(false);
            }
        };

        var settle = pipeline.Retry is { } policy ? Middleware.RetryAck<T>(policy) : Middleware.AutoAck<T>();
        Middleware<T> around = next => settle(Middleware.Apply(next, pipeline.Middlewares));
        foreach (var filter in services.GetServices<IHostedConsumerFilter>())
        {
            var inner = around;
            around = next => filter.Apply(Stream, Consumer, next, inner);
        }

        var subject = options.Subject
            ?? declaration.Config.FilterSubject
            ?? declaration.Config.FilterSubjects?.FirstOrDefault()
            ?? (stream.Subjects is { Count: 1 } only ? only.First() : null)
            ?? ">";
        return new HostedConsumer<T>(this, around(terminal), GofluxCodecs.Decoder<T>(services), factory, options, subject);
    }
}
