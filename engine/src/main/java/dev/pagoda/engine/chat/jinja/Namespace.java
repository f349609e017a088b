package dev.pagoda.engine.chat.jinja;

import java.util.LinkedHashMap;
import java.util.Map;

/** The object {@code namespace(...)} returns: the one thing {@code {% set ns.attr = v %}} may change, from any scope. */
final class Namespace {
    final Map<String, Object> attrs = new LinkedHashMap<>();
}
