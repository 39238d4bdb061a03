package dev.pitr.storage;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Storage that passes every call on to another: a wrapper overrides only what it changes. */
public abstract class ForwardingStorage implements Storage {

    /** Where every call goes that the wrapper does not change. */
    protected final Storage delegate;

    protected ForwardingStorage(Storage delegate) {
        this.delegate = delegate;
    }

    @Override
    public Optional<Path> localRoot() {
        return delegate.localRoot();
    }

    @Override
    public java.util.OptionalLong largestObject() {
        return delegate.largestObject();
    }

    @Override
    public long put(String key, Map<String, String> metadata, Writer writer) {
        return delegate.put(key, metadata, writer);
    }

    @Override
    public Map<String, String> metadata(String key) {
        return delegate.metadata(key);
    }

    @Override
    public InputStream open(String key) {
        return delegate.open(key);
    }

    @Override
    public Optional<Long> stat(String key) {
        return delegate.stat(key);
    }

    @Override
    public List<String> list(String prefix) {
        return delegate.list(prefix);
    }

    @Override
    public void delete(String key) {
        delegate.delete(key);
    }

    @Override
    public void deleteAll(List<String> keys) {
        delegate.deleteAll(keys);
    }

    @Override
    public void expire(String key) {
        delegate.expire(key);
    }

    @Override
    public String describe() {
        return delegate.describe();
    }
}
