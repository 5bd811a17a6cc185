using Smp.Actors.TestKit;

namespace Smp.Actors.Tests;

public sealed class LifecycleTests
{
    private sealed record Spawn(string Name);

    private sealed record Query(string Name);

    private sealed record Answer(string? Path, int ChildCount);

    private sealed class Toggle : Actor
    {
        public Toggle()
        {
            Off();
        }

        private void Off() => Receive<string>(s =>
        {
            Sender.Tell(new Note($"off:{s}"));
            Become(On);
        });

        private void On() => Receive<string>(s =>
        {
            Sender.Tell(new Note($"on:{s}"));
            Become(Off);
        });
    }

    private sealed class Logged : Actor
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
                Context.ActorOf(Props.Create(() => new Logged(log, label + "/child", false)), "child");
            }

            ReceiveAny(m => log.Add($"{label} got {m}"));
        }

        protected override void PreStart() => _log.Add($"{_label} PreStart");

        protected override void PostStop() => _log.Add($"{_label} PostStop");
    }

    private sealed class Parent : Actor
    {
        public Parent()
        {
            Receive<Spawn>(s => Context.ActorOf(Props.Create<Silent>(), s.Name));
            Receive<Query>(q => Sender.Tell(new Answer(Context.Child(q.Name)?.Path, Context.Children.Count)));
        }
    }

    private sealed class Watcher : Actor
    {
        public Watcher(IActorRef watched, IActorRef probe)
        {
            Receive<Terminated>(t => probe.Tell(t));
            Context.Watch(watched);
        }
    }

    [Fact]
    public void Become_switches_handlers_from_the_next_message()
    {
        using var kit = new ActorTestKit();
        var probe = kit.CreateTestProbe();
        var toggle = kit.Sys.ActorOf<Toggle>("toggle");

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
        using var kit = new ActorTestKit();
        var log = new List<string>();
        var parent = kit.Sys.ActorOf(Props.Create(() => new Logged(log, "parent", true)), "parent");

        parent.Tell("hello");
        kit.RunUntilIdle();
        kit.Sys.Stop(parent);

        Assert.Equal(
            [
                "parent constructor",
                "parent/child constructor",
                "parent/child PreStart",
                "parent PreStart",
                "parent got hello",
                "parent/child PostStop",
                "parent PostStop",
            ],
            log);
        Assert.Null(kit.Sys.TryGetActor("/user/parent/child"));
    }

    [Fact]
    public void Children_are_found_by_name_under_their_parent_path()
    {
        using var kit = new ActorTestKit();
        var probe = kit.CreateTestProbe();
        var parent = kit.Sys.ActorOf<Parent>("board");

        probe.Send(parent, new Spawn("cpu0"));
        probe.Send(parent, new Spawn("cpu1"));
        probe.Send(parent, new Query("cpu1"));

        Assert.Equal(new Answer("/user/board/cpu1", 2), probe.ExpectMsg<Answer>());
        Assert.Equal("/user/board/cpu0", kit.Sys.TryGetActor("/user/board/cpu0")?.Path);
        Assert.Equal("/user/board", parent.Path);

        probe.Send(parent, new Query("cpu7"));
        Assert.Equal(new Answer(null, 2), probe.ExpectMsg<Answer>());
    }

    [Fact]
    public void A_duplicate_child_name_is_refused_and_reported()
    {
        using var kit = new ActorTestKit();
        var parent = kit.Sys.ActorOf<Parent>("board");
        kit.Sys.ActorOf<Silent>("solo");

        Assert.Throws<ArgumentException>(() => kit.Sys.ActorOf<Silent>("solo"));

        parent.Tell(new Spawn("cpu0"));
        parent.Tell(new Spawn("cpu0"));
        Assert.Equal(RunResult.Failed, kit.RunUntilIdle());
        Assert.Contains("already exists", kit.Sys.Failure!.Exception.Message);
    }

    [Fact]
    public void A_watcher_receives_Terminated_when_the_watched_actor_stops()
    {
        using var kit = new ActorTestKit();
        var probe = kit.CreateTestProbe();
        var watched = kit.Sys.ActorOf<Silent>("watched");
        kit.Sys.ActorOf(Props.Create(() => new Watcher(watched, probe)), "watcher");

        kit.Sys.Stop(watched);

        Assert.Same(watched, probe.ExpectMsg<Terminated>().Actor);
    }

    [Fact]
    public void Actors_cannot_be_created_with_new()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new Silent());
        Assert.Contains("Props", error.Message);
    }
}
