"""Registering handlers: decorators, the WebSocketServer base class, validation, inspection."""

import pytest

from wsdeploy.websocket import (
    REGISTRY,
    HandlerConfigurationError,
    WebSocketError,
    WebSocketServer,
    on_connect,
    on_disconnect,
    on_message,
    on_route,
)

pytestmark = pytest.mark.usefixtures("runtime")


def keys() -> dict[str, bool]:
    return {r["key"]: r["reply"] for r in REGISTRY.describe()["routes"]}


def test_bare_decorators_register_and_return_the_function():
    def connect(event, context):
        return {"statusCode": 200}

    def message(event, context):
        return None

    def disconnect(event, context):
        return None

    assert on_connect(connect) is connect
    assert on_message(message) is message
    assert on_disconnect(disconnect) is disconnect
    assert keys() == {"$connect": False, "$default": False, "$disconnect": False}
    assert REGISTRY.routes()["$default"].handler is message


def test_decorators_with_options_and_custom_routes():
    @on_connect()
    def connect(event, context):
        pass

    @on_message(reply=True)
    def message(event, context):
        pass

    @on_route("join")
    def join(event, context):
        pass

    @on_route("whoami", reply=True)
    def whoami(event, context):
        pass

    assert keys() == {"$connect": False, "$default": True, "join": False, "whoami": True}
    assert REGISTRY.routes()["whoami"].handler is whoami
    assert REGISTRY.problems() == []


@pytest.mark.parametrize("key", ["$join", "", None, 42])
def test_custom_route_keys_are_checked(key):
    with pytest.raises(HandlerConfigurationError, match="route key|reserves"):
        on_route(key)(lambda event, context: None)


def test_on_route_without_a_key_says_how_to_write_it():
    def join(event, context):
        pass

    with pytest.raises(HandlerConfigurationError, match=r"@on_route\('join'\)"):
        on_route(join)


def test_lifecycle_routes_cannot_reply():
    with pytest.raises(HandlerConfigurationError, match=r"\$connect cannot reply"):
        on_connect(reply=True)


def test_duplicate_registration_names_both_functions():
    @on_route("join")
    def first_join(event, context):
        pass

    with pytest.raises(HandlerConfigurationError) as error:
        @on_route("join")
        def second_join(event, context):
            pass

    message = str(error.value)
    assert "first_join" in message and "second_join" in message and "'join'" in message
    assert isinstance(error.value, WebSocketError)


def test_validation_names_the_missing_decorators():
    @on_disconnect
    def bye(event, context):
        pass

    problems = REGISTRY.problems()
    assert len(problems) == 1
    assert "@on_connect ($connect)" in problems[0] and "@on_message ($default)" in problems[0]
    with pytest.raises(HandlerConfigurationError, match="@on_connect"):
        REGISTRY.validate()


def test_validation_names_only_what_is_missing():
    @on_connect
    def hello(event, context):
        pass

    (problem,) = REGISTRY.problems()
    assert "@on_message ($default)" in problem and "@on_connect" not in problem


def test_an_empty_registry_has_no_routes_and_no_problems():
    assert REGISTRY.describe() == {"routes": [], "problems": []}


def test_server_class_registers_overrides_and_defaults_answer_200():
    class Chat(WebSocketServer):
        def on_message(self, event, context):
            return "message"

        @on_route("join", reply=True)
        def join(self, event, context):
            return {"joined": True}

    routes = REGISTRY.routes()
    assert keys() == {"$connect": False, "$default": False, "$disconnect": False, "join": True}
    assert routes["$default"].handler({}, None) == "message"
    assert routes["join"].handler({}, None) == {"joined": True}
    assert routes["$connect"].handler({}, None) == {"statusCode": 200}
    assert routes["$disconnect"].handler({}, None) == {"statusCode": 200}
    assert REGISTRY.problems() == []


def test_server_instance_is_a_lazy_singleton_keeping_state():
    created = []

    class Counter(WebSocketServer):
        def __init__(self):
            created.append(self)
            self.count = 0

        def on_message(self, event, context):
            self.count += 1
            return self.count

    assert created == []  # nothing is built at class definition
    handler = REGISTRY.routes()["$default"].handler
    assert [handler({}, None) for _ in range(3)] == [1, 2, 3]
    assert len(created) == 1 and Counter.instance() is created[0]


def test_decorators_and_a_class_live_together():
    @on_connect
    def connect(event, context):
        return {"statusCode": 204}

    class App(WebSocketServer):
        def on_message(self, event, context):
            return "from class"

    routes = REGISTRY.routes()
    assert routes["$connect"].handler is connect
    assert routes["$default"].handler({}, None) == "from class"


def test_a_decorator_and_an_overridden_method_for_one_route_is_a_duplicate():
    @on_message
    def handle(event, context):
        pass

    with pytest.raises(HandlerConfigurationError) as error:
        class App(WebSocketServer):
            def on_message(self, event, context):
                pass

    assert "handle" in str(error.value) and "App.on_message" in str(error.value)


def test_a_subclass_of_a_registered_server_replaces_it():
    class Base(WebSocketServer):
        def on_message(self, event, context):
            return "base"

    class Child(Base):
        def on_connect(self, event, context):
            return {"statusCode": 201}

    routes = REGISTRY.routes()
    assert routes["$default"].handler({}, None) == "base"
    assert routes["$connect"].handler({}, None) == {"statusCode": 201}
    assert routes["$default"].owner is Child


def test_route_methods_outside_a_server_class_are_reported():
    class NotAServer:
        @on_route("join")
        def join(self, event, context):
            pass

    @on_connect
    def connect(event, context):
        pass

    @on_message
    def message(event, context):
        pass

    (problem,) = REGISTRY.problems()
    assert "NotAServer.join" in problem and "WebSocketServer" in problem


def test_describe_is_json_ready_and_sorted():
    @on_route("b")
    def b(event, context):
        pass

    @on_route("a", reply=True)
    def a(event, context):
        pass

    described = REGISTRY.describe()
    assert [r["key"] for r in described["routes"]] == ["a", "b"]
    assert described["routes"][0] == {"key": "a", "reply": True,
                                      "handler": f"{__name__}.{a.__qualname__}"}
    assert "missing" in described["problems"][0]


def test_two_methods_of_one_class_for_one_route_is_a_duplicate():
    with pytest.raises(HandlerConfigurationError) as error:
        class Twice(WebSocketServer):
            @on_route("join")
            def join(self, event, context):
                pass

            @on_route("join")
            def join_again(self, event, context):
                pass

    assert "join" in str(error.value) and "join_again" in str(error.value)


def test_an_override_drops_the_parents_route_unless_decorated_again():
    class Base(WebSocketServer):
        def on_message(self, event, context):
            pass

        @on_route("join")
        def join(self, event, context):
            return "base"

    class Child(Base):
        @on_route("enter")
        def join(self, event, context):
            return "child"

    assert set(keys()) == {"$connect", "$default", "$disconnect", "enter"}
    assert REGISTRY.routes()["enter"].handler({}, None) == "child"
    assert REGISTRY.problems() == []


def test_routes_from_mixins_and_static_methods_are_claimed():
    class Greetings:
        @on_route("hello", reply=True)
        def hello(self, event, context):
            return "hi"

    class App(Greetings, WebSocketServer):
        def on_message(self, event, context):
            pass

        @staticmethod
        @on_route("ping", reply=True)
        def ping(event, context):
            return "pong"

    routes = REGISTRY.routes()
    assert routes["hello"].handler({}, None) == "hi" and routes["hello"].reply
    assert routes["ping"].handler({}, None) == "pong"
    assert REGISTRY.problems() == []


def test_one_servers_constructor_may_use_anothers_instance():
    import threading

    class Store(WebSocketServer):
        pass

    class App(WebSocketServer):
        def __init__(self):
            self.store = Store.instance()

    done = []
    thread = threading.Thread(target=lambda: done.append(App.instance()), daemon=True)
    thread.start()
    thread.join(timeout=5)
    assert done and done[0].store is Store.instance()


def test_concurrent_first_use_creates_one_instance():
    import threading

    created = []

    class Slow(WebSocketServer):
        def __init__(self):
            created.append(self)

    barrier = threading.Barrier(8)
    seen = []

    def use():
        barrier.wait()
        seen.append(Slow.instance())

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(created) == 1 and all(instance is created[0] for instance in seen)
