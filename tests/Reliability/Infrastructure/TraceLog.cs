using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Goflux.Reliability.Tests.Infrastructure;

/// <summary>
/// Keeps the last <see cref="Capacity"/> timestamped log lines (NATS.Net's and the subscriber's, from Debug up) in memory,
/// to print when a scenario fails.
/// </summary>
public sealed class TraceLog : ILoggerProvider
{
    public const int Capacity = 20_000;

    private readonly ConcurrentQueue<string> _lines = new();

    public ILoggerFactory Factory() => LoggerFactory.Create(b => b.AddProvider(this).SetMinimumLevel(LogLevel.Debug));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public string Dump() => string.Join(Environment.NewLine, _lines);

    private sealed class Logger(TraceLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner._lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category[(category.LastIndexOf('.') + 1)..]}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception.Message)}");
            while (owner._lines.Count > Capacity && owner._lines.TryDequeue(out _))
            {
            }
        }
    }
}
