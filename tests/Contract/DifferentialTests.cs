using System.Diagnostics;
using System.Globalization;
using System.Text;
using Goflux.Contract.Tests.Backends;
using Goflux.InMemory;
using Goflux.Testing;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Goflux.Contract.Tests;

/// <summary>
/// Differential testing: seeded random programs over one stream and one pull consumer run step by step on the in-memory
/// engine and on a real nats-server, and every observable result must agree: each publish's PubAck (or error code), each
/// no-wait fetch's deliveries with their metadata, the consumer's counters after every fetch and acknowledgement, and at
/// the end the stream state and the advisories.
/// </summary>
/// <remarks>
/// <c>GOFLUX_FUZZ_PROGRAMS</c> sets how many programs run (default 500, seeds 1..N); <c>GOFLUX_FUZZ_SEED</c> runs one seed
/// only, to reproduce a reported divergence. Most programs never let time pass, so they take milliseconds on the server;
/// about one in twelve lets 3.5 s pass once or twice (ack wait, nak delay and backoff expiry), and those run concurrently.
/// The fake clock follows the server's: before every step it is moved on by the wall-clock time the server has seen
/// since the consumer was created (a step can take a second while a counter read polls, or seconds while a pull stays
/// open), so an ack wait (3 s), nak delay (2 s) or backoff (3 s/5 s) expires between the same two steps on both sides.
/// Each step starts at least 5 ms after the one before ended, more than the server's pending check can run late, and each publish waits until the
/// server's consumer has counted the message, as the other steps wait for its counters. The engine runs each step a
/// moment before the server, so a deadline it sets falls due that much earlier than the server's: a step that would start
/// within <see cref="DeadlineGuard"/> before the engine's next deadline waits until both sides are past it (seed 1212).
/// Each step of a reported divergence carries the server-side time it ended at.
/// </remarks>
public sealed class DifferentialTests(NatsServerFixture server) : IAsyncLifetime
{
    private const string ProgramsVariable = "GOFLUX_FUZZ_PROGRAMS";
    private const string SeedVariable = "GOFLUX_FUZZ_SEED";
    private const int MaxReportedFailures = 10;

    /// <summary>
    /// The least wall-clock time between the starts of two steps. The server's pending check runs on a Go timer that
    /// can fire a millisecond or two late on a loaded machine and then takes everything due by then; steps this far
    /// apart keep deadlines set by different steps in different checks on the server, as they are in memory.
    /// </summary>
    private static readonly TimeSpan StepSpacing = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// How close before the engine's next deadline a step may start. The engine runs a step, and sets its deadlines, at
    /// the step's start; the server a few milliseconds later (more on a loaded machine). A step in between would find a
    /// message due for redelivery in memory and not yet on the server.
    /// </summary>
    private static readonly TimeSpan DeadlineGuard = TimeSpan.FromMilliseconds(50);
    private JetStreamBackend? _real;

    private JetStreamBackend Real => _real ?? throw new InvalidOperationException("The server backend is not started.");

    public async ValueTask InitializeAsync() => _real = await JetStreamBackend.StartAsync(server);

    public async ValueTask DisposeAsync()
    {
        if (_real is not null)
        {
            await _real.DisposeAsync();
        }
    }

    [Fact]
    public async Task RandomPrograms_InMemoryEngineAgreesWithTheServer()
    {
        var seeds = Seeds();
        var failures = new List<string>();
        var ran = 0;
        await Parallel.ForEachAsync(
            seeds,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = TestContext.Current.CancellationToken },
            async (seed, _) =>
            {
                string? failure;
                try
                {
                    failure = await RunAsync(seed);
                }
                catch (Exception ex)
                {
                    failure = $"seed {seed}: the program threw {ex}";
                }

                Interlocked.Increment(ref ran);
                if (failure is not null)
                {
                    lock (failures)
                    {
                        failures.Add(failure);
                    }
                }
            });

        if (failures.Count > 0)
        {
            var report = new StringBuilder()
                .Append(CultureInfo.InvariantCulture, $"{failures.Count} of {ran} programs diverged (server is the oracle). ")
                .Append(CultureInfo.InvariantCulture, $"Reproduce one with {SeedVariable}=<seed>.")
                .AppendLine();
            foreach (var f in failures.OrderBy(f => f, StringComparer.Ordinal).Take(MaxReportedFailures))
            {
                report.AppendLine().AppendLine(f);
            }

            Assert.Fail(report.ToString());
        }

        Assert.Equal(seeds.Count, ran);
        TestContext.Current.SendDiagnosticMessage($"{ran} differential programs agreed.");
    }

    private static List<int> Seeds()
    {
        var seed = Environment.GetEnvironmentVariable(SeedVariable);
        if (!string.IsNullOrWhiteSpace(seed))
        {
            return [int.Parse(seed, CultureInfo.InvariantCulture)];
        }

        var programs = Environment.GetEnvironmentVariable(ProgramsVariable);
        var count = string.IsNullOrWhiteSpace(programs) ? 500 : int.Parse(programs, CultureInfo.InvariantCulture);
        return [.. Enumerable.Range(1, count)];
    }

    /// <summary>Runs one program on both backends in lock step; returns null when they agree, else a report.</summary>
    private async Task<string?> RunAsync(int seed)
    {
        var rng = new Random(seed);
        await using var mem = new InMemoryBackend();
        var real = Real;
        var id = Guid.NewGuid().ToString("N")[..10];
        var stream = $"DIFF_{id}";
        var prefix = $"diff.{id}";
        string[] subjects = [prefix + ".a", prefix + ".b", prefix + ".c"];
        var withTime = rng.Next(12) == 0;
        var timeSteps = withTime ? 1 + rng.Next(2) : 0;
        var backoff = rng.Next(4) == 0;
        var steps = 5 + rng.Next(21);

        var consumer = new ConsumerConfig("c")
        {
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = TimeSpan.FromSeconds(3),
            MaxDeliver = 3,
        };
        if (backoff)
        {
            consumer.Backoff = [TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5)];
        }

        var log = new List<string>
        {
            $"program: {steps} steps, {timeSteps} time steps, backoff {(backoff ? "[3s, 5s]" : "none")}",
        };

        try
        {
            foreach (var b in new IBackend[] { mem, real })
            {
                await b.CreateStreamAsync(new StreamConfig(stream, [prefix + ".>"]) { Storage = StreamConfigStorage.Memory });
                await b.CreateOrUpdateConsumerAsync(stream, consumer);
            }

            // Every delivery so far (identical on both sides up to the current step), and which are the latest of their message.
            var memDeliveries = new List<BackendMessage>();
            var realDeliveries = new List<BackendMessage>();
            var live = new List<int>();
            var timeLeft = timeSteps;

            // The server's timers run on the wall clock, and its steps take time (a counter read can poll for up to a
            // second, a pull can stay open): before each step the fake clock catches up with the time the server has
            // seen since the consumer was created, so deadlines fall between the same steps on both sides, and messages
            // delivered at different times expire, and queue for redelivery, in separate batches on both (seed 1398).
            var wall = Stopwatch.StartNew();
            var fakeElapsed = TimeSpan.Zero;
            async Task CatchUpAsync()
            {
                var lag = wall.Elapsed - fakeElapsed;
                if (lag > TimeSpan.Zero)
                {
                    await mem.LetTimePassAsync(lag);
                    fakeElapsed += lag;
                }
            }

            // Waits until both sides are past a deadline the engine reaches within DeadlineGuard.
            async Task ClearOfDeadlinesAsync()
            {
                while (mem.Engine.NextDeadline() is { } due && due - mem.Clock.GetUtcNow() is var ahead && ahead >= TimeSpan.Zero && ahead < DeadlineGuard)
                {
                    await Task.Delay(ahead + DeadlineGuard);
                    await CatchUpAsync();
                }
            }

            for (var step = 1; step <= steps; step++)
            {
                // Counted from the end of the step before, not its start: a fetch the server served at the end of a slow
                // step, and a +WPI right after it, landed in one timer check there and in two on the engine (seed 6233).
                if (step > 1)
                {
                    await Task.Delay(StepSpacing);
                }

                await CatchUpAsync();
                await ClearOfDeadlinesAsync();
                var roll = rng.Next(100);
                if (timeLeft > 0 && rng.Next(steps - step + 1) < timeLeft)
                {
                    timeLeft--;
                    await real.LetTimePassAsync(TimeSpan.FromSeconds(3.5));
                    log.Add($"{step} @{wall.Elapsed.TotalSeconds:0.000}s: let 3.5 s pass");
                    continue;
                }

                string op, a, b;
                if (roll < 35 || (memDeliveries.Count == 0 && roll >= 60))
                {
                    var subject = subjects[rng.Next(subjects.Length)];
                    var payload = Encoding.UTF8.GetBytes($"p{step}");
                    MessageHeaders? headers = null;
                    if (rng.Next(4) == 0)
                    {
                        headers = new MessageHeaders().Add("Nats-Msg-Id", "id" + rng.Next(3));
                    }

                    op = $"publish {subject[(prefix.Length + 1)..]} p{step}{(headers is null ? string.Empty : " msg-id " + headers["Nats-Msg-Id"])}";
                    a = await PublishAsync(mem, subject, payload, headers);
                    b = await PublishAsync(real, subject, payload, headers);

                    // The stream acknowledges a publish before the consumer has counted it: without this read, a
                    // no-wait pull right after can find nothing pending on the server.
                    var counters = Counters(await mem.GetConsumerInfoAsync(stream, "c"));
                    a += " | " + counters;
                    b += " | " + await ServerCountersAsync(real, stream, counters);
                }
                else if (roll < 60)
                {
                    var batch = 1 + rng.Next(5);
                    op = $"fetch no-wait batch {batch}";

                    // A no-wait pull can stay open (S-70: nothing deliverable, but messages pending or redeliveries
                    // queued), on the server until its timers make something deliverable: the engine's pull is
                    // started, the server's runs, the fake clock catches up, and only then is the engine's awaited.
                    var fetch = mem.FetchAsync(stream, "c", batch);
                    var gotReal = await real.FetchAsync(stream, "c", batch);
                    await CatchUpAsync();
                    if ((await mem.GetConsumerInfoAsync(stream, "c")).NumWaiting > 0)
                    {
                        log.Add($"{step} @{wall.Elapsed.TotalSeconds:0.000}s: {op} -> still open");
                        return Diverged(seed, step, op, "still open", Describe(gotReal, prefix), log);
                    }

                    var got = await fetch;
                    a = Describe(got, prefix);
                    b = Describe(gotReal, prefix);
                    if (a == b)
                    {
                        foreach (var m in got)
                        {
                            live.RemoveAll(i => memDeliveries[i].Metadata.StreamSequence == m.Metadata.StreamSequence);
                            live.Add(memDeliveries.Count);
                            memDeliveries.Add(m);
                        }

                        realDeliveries.AddRange(gotReal);
                        var counters = Counters(await mem.GetConsumerInfoAsync(stream, "c"));
                        a += " | " + counters;
                        b += " | " + await ServerCountersAsync(real, stream, counters);
                    }
                }
                else
                {
                    // Mostly the latest delivery of a message not settled yet; sometimes any earlier one (a stale ack).
                    var index = live.Count > 0 && rng.Next(6) != 0 ? live[rng.Next(live.Count)] : rng.Next(memDeliveries.Count);
                    var kind = rng.Next(100) switch
                    {
                        < 35 => "ack",
                        < 55 => "nak",
                        < 70 => "nak 2s",
                        < 85 => "in-progress",
                        _ => "term",
                    };
                    var md = memDeliveries[index].Metadata;
                    op = $"{kind} delivery #{index + 1} (seq {md.StreamSequence}, cseq {md.ConsumerSequence})";
                    a = await SettleAsync(memDeliveries[index], kind, step);
                    b = await SettleAsync(realDeliveries[index], kind, step);
                    if (kind is "ack" or "term")
                    {
                        live.Remove(index);
                    }

                    var counters = Counters(await mem.GetConsumerInfoAsync(stream, "c"));
                    a += " | " + counters;
                    b += " | " + await ServerCountersAsync(real, stream, counters);
                }

                log.Add($"{step} @{wall.Elapsed.TotalSeconds:0.000}s: {op} -> {a}");
                if (a != b)
                {
                    return Diverged(seed, step, op, a, b, log);
                }
            }

            await CatchUpAsync();
            var endMem = await FinalStateAsync(mem, stream);

            // The server counts a just-acknowledged publish in num_pending asynchronously: read again for a moment.
            var endReal = await real.EventuallyAsync(() => FinalStateAsync(real, stream), state => state == endMem, TimeSpan.FromSeconds(2));
            if (endMem != endReal)
            {
                return Diverged(seed, steps + 1, "final consumer and stream state", endMem, endReal, log);
            }

            var advMem = Describe(await mem.AdvisoriesAsync(stream));
            var advReal = Describe(await real.AdvisoriesAsync(stream, atLeast: (await mem.AdvisoriesAsync(stream)).Count));
            if (advMem != advReal)
            {
                return Diverged(seed, steps + 2, "advisories", advMem, advReal, log);
            }

            return null;
        }
        finally
        {
            try
            {
                await real.DeleteStreamAsync(stream);
            }
            catch (GofluxException)
            {
            }
        }
    }

    private static string Diverged(int seed, int step, string op, string inMemory, string server, List<string> log)
    {
        var sb = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"seed {seed}: first divergence at step {step}: {op}")
            .AppendLine(CultureInfo.InvariantCulture, $"  in-memory: {inMemory}")
            .AppendLine(CultureInfo.InvariantCulture, $"  server:    {server}")
            .AppendLine("  steps so far (in-memory results):");
        foreach (var line in log)
        {
            sb.Append("    ").AppendLine(line);
        }

        return sb.ToString();
    }

    private static async Task<string> PublishAsync(IBackend b, string subject, byte[] payload, MessageHeaders? headers)
    {
        try
        {
            var r = await b.PublishAsync(subject, payload, headers);
            return $"seq {r.Sequence}{(r.Duplicate ? " duplicate" : string.Empty)}";
        }
        catch (GofluxException ex)
        {
            return $"error {ex.ErrorCode}";
        }
    }

    private static async Task<string> SettleAsync(BackendMessage m, string kind, int step)
    {
        try
        {
            await (kind switch
            {
                "ack" => m.AckAsync(),
                "nak" => m.NakAsync(),
                "nak 2s" => m.NakAsync(TimeSpan.FromSeconds(2)),
                "in-progress" => m.InProgressAsync(),
                _ => m.TermAsync($"step {step}"),
            });
            return "ok";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return "error " + ex.GetType().Name;
        }
    }

    private static string Describe(IReadOnlyList<BackendMessage> got, string prefix)
        => got.Count == 0
            ? "none"
            : string.Join("; ", got.Select(m =>
                $"{m.Subject[(prefix.Length + 1)..]} {Encoding.UTF8.GetString(m.Data)} s{m.Metadata.StreamSequence} c{m.Metadata.ConsumerSequence} n{m.Metadata.NumDelivered} p{m.Metadata.NumPending}"));

    private static string Describe(IReadOnlyList<JetStreamAdvisory> advisories)
        => advisories.Count == 0
            ? "none"
            : string.Join("; ", advisories
                .Select(a => $"{a.Type[(a.Type.LastIndexOf('.') + 1)..]} s{a.StreamSequence} c{a.ConsumerSequence?.ToString(CultureInfo.InvariantCulture) ?? "-"} n{a.Deliveries} {a.Reason ?? "-"}")
                .Order(StringComparer.Ordinal));

    private static async Task<string> FinalStateAsync(IBackend b, string stream)
    {
        var c = await b.GetConsumerInfoAsync(stream, "c");
        var s = (await b.GetStreamInfoAsync(stream)).State;
        return $"{Counters(c)} waiting={c.NumWaiting} | stream msgs={s.Messages} first={s.FirstSeq} last={s.LastSeq}";
    }

    /// <summary>
    /// The server's counters, read again for a moment while they differ from the engine's: a publish is acknowledged by
    /// the stream before the consumer has counted it in <c>num_pending</c>, so a read right after can lag by one.
    /// </summary>
    private static async Task<string> ServerCountersAsync(JetStreamBackend real, string stream, string expected)
        => Counters(await real.EventuallyAsync(() => real.GetConsumerInfoAsync(stream, "c"), i => Counters(i) == expected, TimeSpan.FromSeconds(1)));

    private static string Counters(ConsumerInfo i) =>
        $"delivered={i.Delivered?.ConsumerSeq}/{i.Delivered?.StreamSeq} ack_floor={i.AckFloor?.ConsumerSeq}/{i.AckFloor?.StreamSeq} " +
        $"ack_pending={i.NumAckPending} pending={i.NumPending} redelivered={i.NumRedelivered}";
}
