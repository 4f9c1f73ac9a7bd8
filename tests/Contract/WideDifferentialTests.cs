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
/// Differential testing across the configuration space users configure: seeded programs draw a stream (memory or file
/// storage, limits with both discard modes, per-subject limits and discard-new-per-subject, the three retention
/// policies, max age, the duplicate window, rollups allowed), one to three pull consumers (no filter, one, several, wildcards; every deliver policy; ack
/// policies explicit, all and none; max_ack_pending, max_deliver, backoff), and steps (publishes with message ids and
/// expectations, no-wait and expiring fetches with batches, ack, nak, nak with delay, in progress, term, purges by
/// subject, keep and sequence, message deletes and gets, consumer delete and re-create, consumer and stream updates,
/// time passing). Each step runs on the in-memory engine and on a real nats-server, and everything a client can see
/// must agree after it: the step's result (PubAck or error code, deliveries with their metadata, purge counts, errors),
/// every consumer's counters, the stream's state; at the end, the advisories.
/// </summary>
/// <remarks>
/// <c>GOFLUX_FUZZ_PROGRAMS</c> sets how many programs run (default 500, seeds 1..N); <c>GOFLUX_FUZZ_SEED</c> runs one seed
/// (<c>GOFLUX_FUZZ_REPEAT</c> times at once, for the load of a full run).
/// Timing is waited out only where the server is asynchronous, and each place says so: after a step the server's
/// counters are read again for up to three seconds while they differ (it counts a new message for its consumers after the
/// PubAck, and settles a message a limit removed in a goroutine of its own); advisories are compared at the end, once
/// the server has published them; after a nak with a delay, and after an ack wait update, the next step waits for the
/// consumer's timer recheck both sides make (10 ms and 100 ms later) and a quarter second more. About one program in eight lets time pass (ack waits, nak delays, backoff, max age,
/// the duplicate window); there the fake clock follows the server's wall clock before every step, as in
/// <see cref="DifferentialTests"/>, and fetches expire rather than end at once. A nak's delay is 1.5 s there and 30 s
/// elsewhere (longer than a program runs), so its redelivery never falls between one side's step and the other's.
/// </remarks>
public sealed class WideDifferentialTests(NatsServerFixture server) : IAsyncLifetime
{
    private const string ProgramsVariable = "GOFLUX_FUZZ_PROGRAMS";
    private const string SeedVariable = "GOFLUX_FUZZ_SEED";
    private const int MaxReportedFailures = 10;
    private static readonly TimeSpan StepSpacing = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan QuietMargin = TimeSpan.FromMilliseconds(250);
    private static readonly string[] Tails = ["a", "b", "c.x", "c.y", "d.x.1", "d.y.2"];
    private static readonly string[] FilterTails = ["a", "b", "c.x", "c.*", "d.>", "*.x", "c.y", "d.*.2"];
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
    public async Task RandomWidePrograms_InMemoryEngineAgreesWithTheServer()
    {
        var seeds = Seeds();
        var failures = new List<string>();
        var ran = 0;
        var withPush = 0;
        await Parallel.ForEachAsync(
            seeds,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = TestContext.Current.CancellationToken },
            async (seed, _) =>
            {
                string? failure;
                try
                {
                    var program = new Program(seed, Real);
                    failure = await program.RunAsync();
                    if (failure is null && seeds.Count == 1 && Environment.GetEnvironmentVariable("GOFLUX_FUZZ_TRACE") == "1")
                    {
                        TestContext.Current.TestOutputHelper?.WriteLine(program.Steps); // a traced replay shows its steps
                    }
                    if (program.DrewPush)
                    {
                        Interlocked.Increment(ref withPush);
                    }
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
                .Append(CultureInfo.InvariantCulture, $"{failures.Count} of {ran} wide programs diverged (server is the oracle). ")
                .Append(CultureInfo.InvariantCulture, $"Reproduce one with {SeedVariable}=<seed> and a filter on WideDifferential.")
                .AppendLine();
            var shown = int.TryParse(Environment.GetEnvironmentVariable("GOFLUX_FUZZ_REPORT"), CultureInfo.InvariantCulture, out var n) ? n : MaxReportedFailures;
            foreach (var f in failures.OrderBy(f => f.Length).Take(shown))
            {
                report.AppendLine().AppendLine(f);
            }

            Assert.Fail(report.ToString());
        }

        Assert.Equal(seeds.Count, ran);
        var summary = $"{ran} wide differential programs agreed, {withPush} of them with a push consumer.";
        TestContext.Current.SendDiagnosticMessage(summary);
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        if (seeds.Count >= 50)
        {
            Assert.True(withPush > 0, "a run of 50 programs or more draws push consumers");
        }
    }

    private static List<int> Seeds()
    {
        var seed = Environment.GetEnvironmentVariable(SeedVariable);
        if (!string.IsNullOrWhiteSpace(seed))
        {
            // GOFLUX_FUZZ_REPEAT=n runs the seed n times at once, for a divergence that needs the load of a full run.
            var repeat = int.TryParse(Environment.GetEnvironmentVariable("GOFLUX_FUZZ_REPEAT"), CultureInfo.InvariantCulture, out var r) && r > 1 ? r : 1;
            return [.. Enumerable.Repeat(int.Parse(seed, CultureInfo.InvariantCulture), repeat)];
        }

        var programs = Environment.GetEnvironmentVariable(ProgramsVariable);
        var count = string.IsNullOrWhiteSpace(programs) ? 500 : int.Parse(programs, CultureInfo.InvariantCulture);
        return [.. Enumerable.Range(1, count)];
    }

    /// <summary>One seeded program, run step by step on both backends.</summary>
    private sealed class Program
    {
        private readonly int _seed;
        private readonly Random _rng;
        private readonly Random _push;
        private readonly JetStreamBackend _real;
        private readonly string _stream;
        private readonly string _prefix;
        private readonly bool _withTime;
        private readonly List<string> _log = [];
        private readonly Dictionary<string, ConsumerConfig?> _consumers = [];
        private readonly Dictionary<string, List<(BackendMessage Mem, BackendMessage Real)>> _deliveries = [];
        private readonly Stopwatch _wall = new();
        private readonly HashSet<string> _expiringOnly = [];
        private InMemoryBackend _mem = null!;
        private StreamConfig _config = null!;
        private TimeSpan _fakeElapsed;
        private TimeSpan _quiet;
        private ulong _published;

        public Program(int seed, JetStreamBackend real)
        {
            _seed = seed;
            _rng = new Random(seed);
            _push = new Random(unchecked((seed * 7919) + 17)); // its own draws: a program without push consumers is as before
            _real = real;
            var id = Guid.NewGuid().ToString("N")[..10];
            _stream = $"WIDE_{id}";
            _prefix = $"wide.{id}";
            _withTime = _rng.Next(8) == 0;
        }

        /// <summary>Gets the steps run so far with their in-memory results (and, traced, both sides' state).</summary>
        public string Steps => string.Join(Environment.NewLine, _log);

        /// <summary>Gets a value indicating whether the program drew a push consumer.</summary>
        public bool DrewPush { get; private set; }

        public async Task<string?> RunAsync()
        {
            await using var mem = new InMemoryBackend();
            _mem = mem;
            try
            {
                return await RunStepsAsync();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return Diverged("the step after the last one logged threw", ex.GetType().Name + ": " + ex.Message, "(not run)");
            }
            finally
            {
                try
                {
                    await _real.DeleteStreamAsync(_stream);
                }
                catch (GofluxException)
                {
                }
            }
        }

        private string S(string tail) => _prefix + "." + tail;

        private string Tail(string subject) => subject.Length > _prefix.Length ? subject[(_prefix.Length + 1)..] : subject;

        /// <summary>Runs the program; null when both sides agreed throughout, else the report.</summary>
        /// <remarks>Long because it is the program's one loop: draw a step, run it on both sides, compare.</remarks>
        private async Task<string?> RunStepsAsync()
        {
            _wall.Start();
            _config = DrawStream();
            var created = await BothAsync(
                "create stream " + Describe(_config),
                b => b == _real ? CreateOnServerAsync() : Outcome(async () => Describe((await b.CreateStreamAsync(Clone(_config))).State)));
            if (created is not null)
            {
                return created;
            }

            if (_log[^1].EndsWith(" -> error 10052", StringComparison.Ordinal))
            {
                return null; // both refused the stream alike: nothing more to run
            }

            var consumerCount = 1 + _rng.Next(3);
            for (var i = 1; i <= consumerCount; i++)
            {
                if (await CreateConsumerAsync($"c{i}") is { } failed)
                {
                    return failed;
                }
            }

            var steps = 15 + _rng.Next(30);
            for (var step = 1; step <= steps; step++)
            {
                // Counted from the end of the step before (see DifferentialTests, seed 6233).
                if (step > 1)
                {
                    await Task.Delay(StepSpacing);
                }

                // Before the alignment below, which must come last (seed 1417: a wait after it let a step start past the
                // first third of a second, where a max age ran out between the engine's step and the server's).
                if (_quiet > TimeSpan.Zero)
                {
                    await Task.Delay(_quiet);
                    _quiet = TimeSpan.Zero;
                }

                if (_withTime)
                {
                    // Steps start in the first third of a wall-clock second and every duration drawn ends on a half
                    // second, so deadlines (ack waits, nak delays, backoff, max age, duplicate window) fall between
                    // steps, never within the few milliseconds one side runs a step before the other.
                    var into = _wall.Elapsed.TotalSeconds % 1;
                    if (into > 0.33)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(1 - into));
                    }
                }

                await CatchUpAsync();
                var roll = _rng.Next(100);
                string? diverged = roll switch
                {
                    < 30 => await PublishAsync(),
                    < 52 => await FetchAsync(),
                    < 72 => await SettleAsync(),
                    < 76 => await PurgeAsync(),
                    < 79 => await DeleteMessageAsync(),
                    < 82 => await GetMessageAsync(),
                    < 85 => await RecreateConsumerAsync(),
                    < 88 => await UpdateConsumerAsync(),
                    < 90 => await UpdateStreamAsync(),
                    < 96 when _withTime => await LetTimePassAsync(),
                    _ => await PublishAsync(),
                };
                if (diverged is not null)
                {
                    return diverged;
                }
            }

            await CatchUpAsync();
            return await CompareAdvisoriesAsync();
        }

        private StreamConfig DrawStream()
        {
            var c = new StreamConfig(_stream, [_prefix + ".>"]) { Storage = _rng.Next(10) < 3 ? StreamConfigStorage.File : StreamConfigStorage.Memory };
            var r = _rng.Next(10);
            c.Retention = r < 6 ? StreamConfigRetention.Limits : r < 8 ? StreamConfigRetention.Interest : StreamConfigRetention.Workqueue;
            c.Discard = _rng.Next(3) == 0 ? StreamConfigDiscard.New : StreamConfigDiscard.Old;
            if (_rng.Next(3) == 0)
            {
                c.MaxMsgs = 3 + _rng.Next(10);
            }

            if (_rng.Next(4) == 0)
            {
                c.MaxBytes = 200 + _rng.Next(600);
            }

            if (_rng.Next(3) == 0)
            {
                c.MaxMsgsPerSubject = 1 + _rng.Next(4);
                c.DiscardNewPerSubject = c.Discard == StreamConfigDiscard.New && _rng.Next(2) == 0;
            }

            if (_withTime && _rng.Next(3) == 0)
            {
                c.MaxAge = TimeSpan.FromSeconds(2.5 + _rng.Next(3));
            }

            if (_withTime && _rng.Next(3) == 0)
            {
                c.DuplicateWindow = TimeSpan.FromSeconds(1.5 + _rng.Next(3));
            }

            c.AllowRollupHdrs = _rng.Next(6) == 0;
            return c;
        }

        private ConsumerConfig DrawConsumer(string name)
        {
            var c = new ConsumerConfig(name)
            {
                AckPolicy = _rng.Next(10) switch
                {
                    < 7 => ConsumerConfigAckPolicy.Explicit,
                    < 9 => ConsumerConfigAckPolicy.All,
                    _ => ConsumerConfigAckPolicy.None,
                },
                AckWait = _withTime ? TimeSpan.FromSeconds(2.5 + _rng.Next(3)) : TimeSpan.FromSeconds(60),
            };
            var f = _rng.Next(10);
            if (f is >= 3 and < 7)
            {
                c.FilterSubject = S(FilterTails[_rng.Next(FilterTails.Length)]);
            }
            else if (f >= 7)
            {
                var many = Enumerable.Range(0, 2 + _rng.Next(2)).Select(_ => S(FilterTails[_rng.Next(FilterTails.Length)])).Distinct().ToList();
                if (many.Count == 1)
                {
                    c.FilterSubject = many[0];
                }
                else
                {
                    c.FilterSubjects = many;
                }
            }

            var d = _rng.Next(100);
            var filtered = !string.IsNullOrEmpty(c.FilterSubject) || c.FilterSubjects is { Count: > 0 };
            if (_config.Retention == StreamConfigRetention.Workqueue && _rng.Next(5) != 0)
            {
                d = 0; // deliver all, mostly, as a work queue requires
                c.AckPolicy = ConsumerConfigAckPolicy.Explicit;
            }

            switch (d)
            {
                case < 45:
                    c.DeliverPolicy = ConsumerConfigDeliverPolicy.All;
                    break;
                case < 55:
                    c.DeliverPolicy = ConsumerConfigDeliverPolicy.Last;
                    break;
                case < 65:
                    c.DeliverPolicy = ConsumerConfigDeliverPolicy.New;
                    break;
                case < 77:
                    c.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence;
                    c.OptStartSeq = 1 + (ulong)_rng.Next((int)Math.Min(_published + 3, 40));
                    break;
                case < 85:
                    c.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime;
                    break;
                default:
                    c.DeliverPolicy = filtered || _rng.Next(4) == 0 ? ConsumerConfigDeliverPolicy.LastPerSubject : ConsumerConfigDeliverPolicy.All;
                    break;
            }

            if (_rng.Next(3) == 0)
            {
                c.MaxAckPending = 1 + _rng.Next(4);
            }

            if (_rng.Next(3) == 0)
            {
                c.MaxDeliver = 1 + _rng.Next(3);
            }

            if (_withTime && _rng.Next(4) == 0)
            {
                c.Backoff = [TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(3.5)];
            }

            return c;
        }

        private async Task<string?> CreateConsumerAsync(string name)
        {
            var config = DrawConsumer(name);
            if (_push.Next(6) == 0)
            {
                // A push consumer nobody listens to (S-126): it delivers nothing, and its counters, the stream's
                // retention and the advisories must still agree; deliveries to listeners are timed by the server and
                // pinned by the push scenarios instead.
                config.DeliverSubject = $"dlv.{_prefix}.{name}";
                DrewPush = true;
            }

            var startTimeIndex = config.DeliverPolicy == ConsumerConfigDeliverPolicy.ByStartTime ? _rng.Next((int)_published + 2) : -1;
            var result = await BothAsync(
                $"create consumer {Describe(config)}{(startTimeIndex >= 0 ? $" start time before message #{startTimeIndex}" : string.Empty)}",
                async b => await Outcome(async () =>
                {
                    var c = Clone(config);
                    if (startTimeIndex >= 0)
                    {
                        c.OptStartTime = await StartTimeAsync(b, (ulong)startTimeIndex);
                    }

                    return Counters(await b.CreateOrUpdateConsumerAsync(_stream, c));
                }),
                after: outcome => _consumers[name] = outcome.StartsWith("error", StringComparison.Ordinal) ? null : config);
            _deliveries.TryAdd(name, []);
            return result;
        }

        /// <summary>A start time just before the stored message with sequence <paramref name="seq"/> (per side, on that
        /// side's clock), or after everything when there is none.</summary>
        private async Task<DateTimeOffset> StartTimeAsync(IBackend b, ulong seq)
        {
            try
            {
                var m = await b.GetMessageAsync(_stream, new StreamMsgGetRequest { NextBySubj = _prefix + ".>", Seq = Math.Max(seq, 1) });
                return m.Time - TimeSpan.FromMilliseconds(1);
            }
            catch (GofluxException)
            {
                var now = b.RealTime ? DateTimeOffset.UtcNow : ((InMemoryBackend)b).Clock.GetUtcNow();
                return now + TimeSpan.FromSeconds(1);
            }
        }

        private async Task<string?> PublishAsync()
        {
            var subject = S(Tails[_rng.Next(Tails.Length)]);
            var payload = Encoding.UTF8.GetBytes(new string('p', _rng.Next(40)) + _published);
            MessageHeaders? headers = null;
            var h = _rng.Next(12);
            if (h < 3)
            {
                headers = new MessageHeaders().Add("Nats-Msg-Id", "id" + _rng.Next(5));
            }
            else if (h == 3)
            {
                headers = new MessageHeaders().Add("Nats-Expected-Last-Sequence", (_published + (ulong)_rng.Next(2)).ToString(CultureInfo.InvariantCulture));
            }
            else if (h == 4)
            {
                headers = new MessageHeaders().Add("Nats-Expected-Last-Subject-Sequence", _rng.Next((int)_published + 1).ToString(CultureInfo.InvariantCulture));
            }
            else if (h == 5 && _config.AllowRollupHdrs)
            {
                // A subject rollup is a purge by subject: with messages pending it races on the server as one does
                // (PurgeAsync; seed 5439: the term of the removed pending message ran before or after the purge moved
                // an ack-all consumer's floor). Roll up all instead.
                var sub = _rng.Next(2) == 0 && !await AnyPendingAsync();
                headers = new MessageHeaders().Add("Nats-Rollup", sub ? "sub" : "all");
            }

            var op = $"publish {Tail(subject)} ({payload.Length} B){(headers is null ? string.Empty : " " + string.Join(", ", headers.Select(kv => kv.Key + ": " + kv.Value[0])))}";
            var result = await BothAsync(op, b => Outcome(async () =>
            {
                var r = await b.PublishAsync(subject, payload, headers);
                return $"seq {r.Sequence}{(r.Duplicate ? " duplicate" : string.Empty)}";
            }));
            _published++;
            return result;
        }

        private async Task<string?> FetchAsync()
        {
            var name = PickConsumer();
            if (name is null)
            {
                return null;
            }

            var batch = 1 + _rng.Next(5);
            if (_consumers[name]!.DeliverSubject is { Length: > 0 })
            {
                return null; // pull requests to a push consumer: S-133
            }

            // A no-wait pull the server keeps open (S-70: max_ack_pending reached, also after a partial batch, or
            // only exhausted redeliveries queued) returns to NATS.Net only after its 35 s timeout: with a
            // max_ack_pending, or when time passes, pulls expire instead.
            var c = _consumers[name]!;
            var held = c.MaxAckPending > 0 || c.MaxDeliver > 0 || c.DeliverPolicy == ConsumerConfigDeliverPolicy.LastPerSubject
                || c.FilterSubjects is { Count: > 1 } || _expiringOnly.Contains(name);
            var expires = _withTime || held || _rng.Next(4) == 0 ? TimeSpan.FromMilliseconds(150) : (TimeSpan?)null;
            var op = $"fetch {name} batch {batch} {(expires is null ? "no-wait" : "expires 150 ms")}";

            var memFetch = _mem.StartFetchAsync(_stream, name, batch, expires);
            IReadOnlyList<BackendMessage> gotReal;
            string realOutcome;
            try
            {
                gotReal = await _real.PullAsync(_stream, name, batch, expires);
                realOutcome = DescribeDeliveries(gotReal);
            }
            catch (GofluxException ex)
            {
                gotReal = [];
                realOutcome = $"error {ex.ErrorCode}";
            }

            // The server's pull ran for as long as it ran (until it expired, when it did): the engine's clock catches
            // up with the wall clock, so its pull expires too, never sooner than the server's.
            await CatchUpAsync();
            IReadOnlyList<BackendMessage> gotMem;
            string memOutcome;
            try
            {
                gotMem = await memFetch.WaitAsync(TimeSpan.FromSeconds(30));
                memOutcome = DescribeDeliveries(gotMem);
            }
            catch (GofluxException ex)
            {
                gotMem = [];
                memOutcome = $"error {ex.ErrorCode}";
            }
            catch (TimeoutException)
            {
                gotMem = [];
                memOutcome = "still open";
            }

            if (memOutcome == realOutcome)
            {
                for (var i = 0; i < gotMem.Count; i++)
                {
                    _deliveries[name].Add((gotMem[i], gotReal[i]));
                }
            }

            return await CompareAsync(op, memOutcome, realOutcome);
        }

        private async Task<string?> SettleAsync()
        {
            var name = PickConsumer(withDeliveries: true);
            if (name is null)
            {
                return await PublishAsync();
            }

            var list = _deliveries[name];
            var index = _rng.Next(4) == 0 ? _rng.Next(list.Count) : list.Count - 1 - _rng.Next(Math.Min(list.Count, 4));
            var kind = _rng.Next(100) switch
            {
                < 40 => "ack",
                < 55 => "nak",
                < 65 => "nak with delay",
                < 75 => "in-progress",
                _ => "term",
            };
            // A nak with a delay redelivers at its own deadline, which only the aligned steps of a program that lets time
            // pass keep clear of: elsewhere the delay outlasts the program. Either way the server rechecks the consumer's
            // timers 10 ms after it, as the engine does: the next step waits that out (QuietAfter).
            var delay = _withTime ? TimeSpan.FromSeconds(1.5) : TimeSpan.FromSeconds(30);
            if (kind == "nak with delay")
            {
                kind = _withTime ? "nak 1.5s" : "nak 30s";
                QuietAfter(TimeSpan.FromMilliseconds(10));
            }

            var (m, r) = list[index];
            var md = m.Metadata;
            var op = $"{kind} {name} delivery #{index + 1} (seq {md.StreamSequence}, cseq {md.ConsumerSequence}, n {md.NumDelivered})";
            return await BothAsync(op, b => Outcome(async () =>
            {
                var d = b.RealTime ? r : m;
                await (kind switch
                {
                    "ack" => d.AckAsync(),
                    "nak" => d.NakAsync(),
                    "in-progress" => d.InProgressAsync(),
                    "term" => d.TermAsync("wide " + index),
                    _ => d.NakAsync(delay),
                });
                return "ok";
            }));
        }

        private async Task<string?> PurgeAsync()
        {
            var request = new StreamPurgeRequest();
            var kind = _rng.Next(5);
            if (kind is 1 or 4 && await AnyPendingAsync())
            {
                // A purge by subject settles the pending messages it removes in goroutines that race with it moving
                // its consumers past the purge: the server's ack floors then differ from run to run. Purge all.
                kind = 0;
            }

            switch (kind)
            {
                case 0:
                    break;
                case 1:
                    request.Filter = S(FilterTails[_rng.Next(FilterTails.Length)]);
                    break;
                case 2:
                    request.Keep = (ulong)_rng.Next(4);
                    break;
                case 3:
                    request.Seq = (ulong)_rng.Next((int)_published + 3);
                    break;
                default:
                    request.Filter = S(Tails[_rng.Next(Tails.Length)]);
                    request.Keep = (ulong)_rng.Next(3);
                    break;
            }

            var op = $"purge{(request.Filter is null ? string.Empty : " filter " + Tail(request.Filter))}{(request.Keep > 0 ? " keep " + request.Keep : string.Empty)}{(request.Seq > 0 ? " seq " + request.Seq : string.Empty)}";
            return await BothAsync(op, b => Outcome(async () => $"purged {await b.PurgeStreamAsync(_stream, request)}"));
        }

        private async Task<bool> AnyPendingAsync()
        {
            foreach (var (name, config) in _consumers)
            {
                if (config is not null && (await _mem.GetConsumerInfoAsync(_stream, name)).NumAckPending > 0)
                {
                    return true;
                }
            }

            return false;
        }

        private Task<string?> DeleteMessageAsync()
        {
            var seq = (ulong)(1 + _rng.Next((int)_published + 2));
            return BothAsync($"delete message {seq}", b => Outcome(async () =>
            {
                await b.DeleteMessageAsync(_stream, seq);
                return "ok";
            }));
        }

        private Task<string?> GetMessageAsync()
        {
            var request = _rng.Next(3) switch
            {
                0 => new StreamMsgGetRequest { Seq = (ulong)(1 + _rng.Next((int)_published + 2)) },
                1 => new StreamMsgGetRequest { LastBySubj = S(FilterTails[_rng.Next(FilterTails.Length)]) },
                _ => new StreamMsgGetRequest { NextBySubj = S(FilterTails[_rng.Next(FilterTails.Length)]), Seq = (ulong)_rng.Next((int)_published + 2) },
            };
            var op = $"get message {(request.LastBySubj is { } l ? "last for " + Tail(l) : request.NextBySubj is { } n ? $"next for {Tail(n)} from {request.Seq}" : "seq " + request.Seq)}";
            return BothAsync(op, b => Outcome(async () =>
            {
                var m = await b.GetMessageAsync(_stream, request);
                return $"seq {m.Sequence} {Tail(m.Subject)} {Encoding.UTF8.GetString(m.Data.Span)}";
            }));
        }

        private async Task<string?> RecreateConsumerAsync()
        {
            var name = PickConsumer() ?? "c1";
            if (_rng.Next(3) != 0)
            {
                var deleted = await BothAsync($"delete consumer {name}", b => Outcome(async () =>
                {
                    await b.DeleteConsumerAsync(_stream, name);
                    return "ok";
                }));
                if (deleted is not null)
                {
                    return deleted;
                }

                _consumers[name] = null;
            }

            // The old deliveries stay: acking them later reaches the new consumer of that name (S-86).
            return await CreateConsumerAsync(name);
        }

        private Task<string?> UpdateConsumerAsync()
        {
            var name = PickConsumer();
            if (name is null || _consumers[name] is not { } old)
            {
                return Task.FromResult<string?>(null);
            }

            var c = Clone(old);
            switch (_rng.Next(5))
            {
                case 0:
                    c.MaxAckPending = _rng.Next(2) == 0 ? -1 : 1 + _rng.Next(4);
                    break;
                case 1:
                    c.MaxDeliver = _rng.Next(2) == 0 ? -1 : 1 + _rng.Next(3);
                    break;
                case 2:
                    // A filter change can leave the server's pending count stale (S-103): its no-wait pulls could stay
                    // open, so this consumer's pulls expire from now on.
                    c.FilterSubjects = null;
                    c.FilterSubject = _rng.Next(3) == 0 ? null : S(FilterTails[_rng.Next(FilterTails.Length)]);
                    _expiringOnly.Add(name);
                    break;
                case 3:
                    c.AckWait = c.AckWait + TimeSpan.FromSeconds(1);
                    QuietAfter(TimeSpan.FromMilliseconds(100)); // both recheck the consumer's timers 100 ms after it
                    break;
                default:
                    c.AckPolicy = ConsumerConfigAckPolicy.All; // not updatable: an error on both
                    break;
            }

            var op = $"update consumer {Describe(c)}";
            return BothAsync(op, async b => await Outcome(async () =>
            {
                var cc = Clone(c);
                if (cc.DeliverPolicy == ConsumerConfigDeliverPolicy.ByStartTime)
                {
                    // The original start time, as that side had it.
                    cc.OptStartTime = (await b.GetConsumerInfoAsync(_stream, name)).Config.OptStartTime;
                }

                var info = await b.UpdateConsumerAsync(_stream, cc);
                return Counters(info);
            }), after: outcome =>
            {
                if (!outcome.StartsWith("error", StringComparison.Ordinal))
                {
                    _consumers[name] = c;
                }
            });
        }

        private Task<string?> UpdateStreamAsync()
        {
            var c = Clone(_config);
            switch (_rng.Next(5))
            {
                case 0:
                    c.MaxMsgs = _rng.Next(2) == 0 ? -1 : 2 + _rng.Next(8);
                    break;
                case 1:
                    c.MaxBytes = _rng.Next(2) == 0 ? -1 : 150 + _rng.Next(500);
                    break;
                case 2:
                    c.MaxMsgsPerSubject = _rng.Next(2) == 0 ? -1 : 1 + _rng.Next(3);
                    c.DiscardNewPerSubject = false;
                    break;
                case 3:
                    c.Discard = c.Discard == StreamConfigDiscard.New ? StreamConfigDiscard.Old : StreamConfigDiscard.New;
                    c.DiscardNewPerSubject = false;
                    break;
                default:
                    c.Retention = c.Retention == StreamConfigRetention.Limits ? StreamConfigRetention.Interest : StreamConfigRetention.Limits;
                    break;
            }

            return BothAsync($"update stream {Describe(c)}", b => Outcome(async () => Describe((await b.UpdateStreamAsync(Clone(c))).State)), after: outcome =>
            {
                if (!outcome.StartsWith("error", StringComparison.Ordinal))
                {
                    _config = c;
                }
            });
        }

        private async Task<string?> LetTimePassAsync()
        {
            var by = TimeSpan.FromSeconds(1 + _rng.Next(3));
            await Task.Delay(by);
            _log.Add($"@{_wall.Elapsed.TotalSeconds:0.000}s: let {by.TotalSeconds:0.0} s pass");
            await CatchUpAsync();
            return await CompareStateAsync($"after {by.TotalSeconds:0.0} s");
        }

        /// <summary>The fake clock catches up with the wall clock (the server's), at least by <paramref name="atLeast"/>.</summary>
        /// <summary>
        /// The step just drawn arms a short timer on both sides (a recheck of the consumer's timers): the next step waits
        /// for it and a margin for a loaded server. Without it a settle a few milliseconds later could land before the
        /// server's recheck and after the engine's, or the other way round, and the two would arm different timers (a
        /// recheck that finds nothing pending stops the timer; one that finds the message re-arms it for its deadline).
        /// </summary>
        private void QuietAfter(TimeSpan timer) => _quiet = timer + QuietMargin;

        private async Task CatchUpAsync(TimeSpan atLeast = default)
        {
            var lag = _wall.Elapsed - _fakeElapsed;
            if (lag < atLeast)
            {
                lag = atLeast;
            }

            if (lag > TimeSpan.Zero)
            {
                await _mem.LetTimePassAsync(lag);
                _fakeElapsed += lag;
            }
        }

        /// <summary>Runs one step on both sides and compares its outcome and then the whole state.</summary>
        private Task<string?> BothAsync(string op, Func<IBackend, Task<string>> run, Action? after = null)
            => BothAsync(op, run, _ => after?.Invoke());

        private async Task<string?> BothAsync(string op, Func<IBackend, Task<string>> run, Action<string> after)
        {
            var a = await run(_mem);
            var b = await run(_real);
            if (a == b)
            {
                after(a);
            }

            return await CompareAsync(op, a, b);
        }

        private async Task<string?> CompareAsync(string op, string mem, string real)
        {
            _log.Add($"@{_wall.Elapsed.TotalSeconds:0.000}s: {op} -> {mem}");
            if (Environment.GetEnvironmentVariable("GOFLUX_FUZZ_TRACE") == "1")
            {
                _log.Add("      engine: " + await StateAsync(_mem));
                _log.Add("      server: " + await StateAsync(_real));
                var clock = ((InMemoryBackend)_mem).Clock.GetUtcNow();
                string first;
                try
                {
                    var fm = await _mem.GetMessageAsync(_stream, new StreamMsgGetRequest { NextBySubj = _prefix + ".>", Seq = 1 });
                    first = $"seq {fm.Sequence} age {(clock - fm.Time).TotalSeconds:0.000}";
                }
                catch (GofluxException)
                {
                    first = "none";
                }

                _log.Add($"      engine clock {clock:HH:mm:ss.fff} first {first}");
            }

            if (mem != real)
            {
                return Diverged(op, mem, real);
            }

            return await CompareStateAsync(op);
        }

        /// <summary>Every consumer's counters and the stream's state, read again briefly on both sides while they differ.</summary>
        private async Task<string?> CompareStateAsync(string op)
        {
            // The server counts a stored message for its consumers after the PubAck, and settles a pending message a
            // limit removed in a goroutine of its own; and where time passes, a deadline can fall between reading one
            // side and the other. So both are read again for up to three seconds while they differ, the fake clock
            // catching up with the wall clock before each read (one second was seen to be too short for a settle on a
            // server sharing two busy cores with eight programs at once).
            var until = _wall.Elapsed + TimeSpan.FromSeconds(3);
            while (true)
            {
                await CatchUpAsync();
                var mem = await StateAsync(_mem);
                var real = await StateAsync(_real);
                if (mem == real)
                {
                    return null;
                }

                if (_wall.Elapsed > until)
                {
                    return Diverged(op + " (state after)", mem, real);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(20));
            }
        }

        private async Task<string> StateAsync(IBackend b)
        {
            var sb = new StringBuilder();
            try
            {
                var s = (await b.GetStreamInfoAsync(_stream)).State;
                sb.Append(Describe(s));
            }
            catch (GofluxException ex)
            {
                sb.Append(CultureInfo.InvariantCulture, $"stream error {ex.ErrorCode}");
            }

            foreach (var name in _consumers.Keys.Order(StringComparer.Ordinal))
            {
                sb.Append(" | ").Append(name).Append(' ');
                try
                {
                    sb.Append(Counters(await b.GetConsumerInfoAsync(_stream, name)));
                }
                catch (GofluxException ex)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"error {ex.ErrorCode}");
                }
            }

            return sb.ToString();
        }

        /// <summary>
        /// Compares the advisories once the server has published them, for up to two seconds. The fake clock keeps
        /// following the server's wall clock meanwhile (seed 39, on a busy machine: a max age ran out on the server
        /// during that wait, 0.8 s after the last step, and its advisory had no counterpart while the engine's clock
        /// stood at the last step).
        /// </summary>
        private async Task<string?> CompareAdvisoriesAsync()
        {
            var until = _wall.Elapsed + TimeSpan.FromSeconds(2);
            while (true)
            {
                await CatchUpAsync();
                var inMemory = await _mem.AdvisoriesAsync(_stream);
                var mem = Describe(inMemory);
                var real = Describe(await _real.AdvisoriesAsync(_stream));
                if (mem == real)
                {
                    return null;
                }

                if (_wall.Elapsed >= until)
                {
                    return Diverged($"advisories ({inMemory.Count} in memory)", mem, real);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50));
            }
        }

        private string? PickConsumer(bool withDeliveries = false)
        {
            var names = _consumers.Where(kv => kv.Value is not null && (!withDeliveries || _deliveries[kv.Key].Count > 0)).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
            return names.Count == 0 ? null : names[_rng.Next(names.Count)];
        }

        private string Diverged(string op, string mem, string real)
        {
            var sb = new StringBuilder()
                .AppendLine(CultureInfo.InvariantCulture, $"seed {_seed}: first divergence at: {op}")
                .AppendLine(CultureInfo.InvariantCulture, $"  in-memory: {mem}")
                .AppendLine(CultureInfo.InvariantCulture, $"  server:    {real}")
                .AppendLine("  steps so far (in-memory results):");
            foreach (var line in _log)
            {
                sb.Append("    ").AppendLine(line);
            }

            return sb.ToString();
        }

        /// <summary>
        /// Creates the stream on the server. Its file store can fail a create on a loaded machine with 10049, an I/O
        /// error of its own rather than a judgement of the configuration (2 programs in 1,500): that create is tried
        /// again, at most twice.
        /// </summary>
        private Task<string> CreateOnServerAsync() => Outcome(async () =>
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return Describe((await _real.CreateStreamAsync(Clone(_config))).State);
                }
                catch (GofluxException ex) when (ex.ErrorCode == 10049 && attempt < 3)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt)); // the server's own I/O, not a clock under test
                }
            }
        });

        private static async Task<string> Outcome(Func<Task<string>> op)
        {
            try
            {
                return await op();
            }
            catch (GofluxException ex)
            {
                return $"error {ex.ErrorCode?.ToString(CultureInfo.InvariantCulture) ?? ex.PublishOutcome.ToString()}";
            }
        }

        private string DescribeDeliveries(IReadOnlyList<BackendMessage> got)
            => got.Count == 0
                ? "none"
                : string.Join("; ", got.Select(m =>
                    $"{Tail(m.Subject)} s{m.Metadata.StreamSequence} c{m.Metadata.ConsumerSequence} n{m.Metadata.NumDelivered} p{m.Metadata.NumPending}"));

        private static string Describe(NATS.Client.JetStream.Models.StreamState s)
            => $"msgs={s.Messages} bytes={s.Bytes} first={s.FirstSeq} last={s.LastSeq} subjects={s.NumSubjects} deleted={s.NumDeleted}";

        private static string Describe(IReadOnlyList<JetStreamAdvisory> advisories)
            => advisories.Count == 0
                ? "none"
                : string.Join("; ", advisories
                    .Select(a => $"{a.Type[(a.Type.LastIndexOf('.') + 1)..]}{(a.Type == JetStreamAdvisory.ConsumerActionType ? " " + a.Subject.Split('.')[4] : string.Empty)} {a.Consumer} s{a.StreamSequence} c{a.ConsumerSequence?.ToString(CultureInfo.InvariantCulture) ?? "-"} n{a.Deliveries} {a.Reason ?? "-"}")
                    .Order(StringComparer.Ordinal));

        private string Describe(StreamConfig c)
            => $"{c.Storage} {c.Retention} discard {c.Discard} max_msgs {c.MaxMsgs} max_bytes {c.MaxBytes} per_subject {c.MaxMsgsPerSubject}{(c.DiscardNewPerSubject ? " (discard new per subject)" : string.Empty)} max_age {c.MaxAge.TotalSeconds}s dup {c.DuplicateWindow.TotalSeconds}s{(c.AllowRollupHdrs ? " rollup" : string.Empty)}";

        private string Describe(ConsumerConfig c)
        {
            var filters = c.FilterSubjects is { Count: > 0 } many ? string.Join(",", many.Select(Tail)) : c.FilterSubject is { Length: > 0 } one ? Tail(one) : "-";
            return $"{c.Name}{(c.DeliverSubject is { Length: > 0 } ? " push" : string.Empty)} filter {filters} {c.DeliverPolicy}{(c.OptStartSeq > 0 ? " " + c.OptStartSeq : string.Empty)} ack {c.AckPolicy} max_ack_pending {c.MaxAckPending} max_deliver {c.MaxDeliver} ack_wait {c.AckWait.TotalSeconds}s{(c.Backoff is { Count: > 0 } bo ? " backoff " + string.Join(",", bo.Select(x => x.TotalSeconds)) : string.Empty)}";
        }

        private static string Counters(ConsumerInfo i) =>
            $"delivered={i.Delivered?.ConsumerSeq}/{i.Delivered?.StreamSeq} ack_floor={i.AckFloor?.ConsumerSeq}/{i.AckFloor?.StreamSeq} " +
            $"ack_pending={i.NumAckPending} pending={i.NumPending} redelivered={i.NumRedelivered} waiting={i.NumWaiting}";

        private static StreamConfig Clone(StreamConfig c) => c with { Subjects = c.Subjects is null ? null : [.. c.Subjects] };

        private static ConsumerConfig Clone(ConsumerConfig c) => c with
        {
            FilterSubjects = c.FilterSubjects is null ? null : [.. c.FilterSubjects],
            Backoff = c.Backoff is null ? null : [.. c.Backoff],
        };
    }
}
