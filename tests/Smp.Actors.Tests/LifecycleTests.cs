using Akka.Actor;
using Smp.Actors.TestKit;

namespace Smp.Actors.Tests;

public sealed class LifecycleTests
{
    private sealed record Spawn(string Name);

    private sealed record Query(string Name);

    private sealed record Answer(string? Path, int ChildCount);

    private sealed class Toggle : SimActor
    {
        public Toggle()
        {
            Off();
        }

        private void Off() => Receive<string>(s =>
        {
            Sim.Tell(Sender, new Note($"off:{s}"));
            Become(On);
        });

        private void On() => Receive<string>(s =>
        {
            Sim.Tell(Sender, new Note($"on:{s}"));
            Become(Off);
        });
    }

    private sealed class Logged : SimActor
    {
        private readonly List<string> _log;
        private readonly string _label;

        public Logged(List<string> log, string label, bool withChild)
        {
            _log = log;
            _label = label;
            log.Add($"{label} constructor");
            if (withChild)
            {
                Sim.ActorOf(Props.Create(() => new Logged(log, label + "/child", false)), "child");
            }

            ReceiveAny(m => log.Add($"{label} got {m}"));
        }

        protected override void PreStart() => _log.Add($"{_label} PreStart");

        protected override void PostStop() => _log.Add($"{_label} PostStop");
    }

    private sealed class Parent : SimActor
    {
        public Parent()
        {
            Receive<Spawn>(s => Sim.ActorOf(Props.Create<Silent>(), s.Name));
            Receive<Query>(q =>
            {
                var child = Context.Child(q.Name);
                Sim.Tell(Sender, new Answer(child.IsNobody() ? null : Sim.Simulation.PathOf(child), Context.GetChildren().Count()));
            });
        }
    }

    private sealed class Watcher : SimActor
    {
        public Watcher(IActorRef watched, IActorRef probe)
        {
            Receive<Terminated>(t => Sim.Tell(probe, t));
            Sim.Watch(watched);
        }
    }

    [Fact]
    public void Become_switches_handlers_from_the_next_message()
    {
        using var kit = new SimTestKit();
        var probe = kit.CreateTestProbe();
        var toggle = kit.Sim.ActorOf(Props.Create<Toggle>(), "toggle");

        probe.Send(toggle, "a");
        probe.Send(toggle, "b");
        probe.Send(toggle, "c");

        probe.ExpectMsg(new Note("off:a"));
        probe.ExpectMsg(new Note("on:b"));
        probe.ExpectMsg(new Note("off:c"));
        Assert.Same(toggle, probe.LastSender);
    }

    [Fact]
    public void PreStart_runs_before_messages_and_PostStop_runs_children_first()
    {
        using var kit = new SimTestKit();
        var log = new List<string>();
        var parent = kit.Sim.ActorOf(Props.Create(() => new Logged(log, "parent", true)), "parent");

        kit.Sim.Tell(parent, "hello");
        kit.RunUntilIdle();
        kit.Sim.Stop(parent);

        Assert.Equal(
            [
                "parent constructor",
                "parent PreStart", // Akka creates a child after its parent has started
                "parent/child constructor",
                "parent/child PreStart",
                "parent got hello",
                "parent/child PostStop",
                "parent PostStop",
            ],
            log);
        Assert.Null(kit.Sim.TryGetActor("/parent/child"));
    }

    [Fact]
    public void Children_are_found_by_name_under_their_parent_path()
    {
        using var kit = new SimTestKit();
        var probe = kit.CreateTestProbe();
        var parent = kit.Sim.ActorOf(Props.Create<Parent>(), "board");

        probe.Send(parent, new Spawn("cpu0"));
        probe.Send(parent, new Spawn("cpu1"));
        probe.Send(parent, new Query("cpu1"));

        Assert.Equal(new Answer("/board/cpu1", 2), probe.ExpectMsg<Answer>());
        Assert.Equal("/board/cpu0", kit.Sim.PathOf(kit.Sim.TryGetActor("/board/cpu0")!));
        Assert.Equal("/board", kit.Sim.PathOf(parent));

        probe.Send(parent, new Query("cpu7"));
        Assert.Equal(new Answer(null, 2), probe.ExpectMsg<Answer>());
    }

    [Fact]
    public void A_duplicate_child_name_is_refused_and_reported()
    {
        using var kit = new SimTestKit();
        var parent = kit.Sim.ActorOf(Props.Create<Parent>(), "board");
        kit.Sim.ActorOf(Props.Create<Silent>(), "solo");

        Assert.Throws<ArgumentException>(() => kit.Sim.ActorOf(Props.Create<Silent>(), "solo"));

        kit.Sim.Tell(parent, new Spawn("cpu0"));
        kit.Sim.Tell(parent, new Spawn("cpu0"));
        Assert.Equal(RunResult.Failed, kit.RunUntilIdle());
        Assert.Contains("not unique", kit.Sim.Failure!.Exception.Message);
    }

    [Fact]
    public void A_watcher_receives_Terminated_when_the_watched_actor_stops()
    {
        using var kit = new SimTestKit();
        var probe = kit.CreateTestProbe();
        var watched = kit.Sim.ActorOf(Props.Create<Silent>(), "watched");
        kit.Sim.ActorOf(Props.Create(() => new Watcher(watched, probe.Ref)), "watcher");

        kit.Sim.Stop(watched);

        Assert.Same(watched, probe.ExpectMsg<Terminated>().ActorRef);
    }

    [Fact]
    public void Simulated_actors_cannot_be_created_with_new()
    {
        // Akka refuses an actor constructed outside its ActorOf before our own check can run.
        Assert.ThrowsAny<Exception>(() => new Silent());
    }
}
