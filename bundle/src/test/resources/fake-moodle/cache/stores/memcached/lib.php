<?php
// FAKE cachestore_memcached (see ../../../config.php): "connects" as .fake/state.json says ("ready",
// "requirements_met").

defined('MOODLE_INTERNAL') || die();

class cachestore_memcached extends cache_store {
    private bool $ready;

    public function __construct($name, array $configuration = []) {
        fake_record('cachestore_memcached::__construct', [$name, $configuration]);
        $this->ready = fake_state()['ready'] ?? true;
    }

    public static function are_requirements_met() {
        return fake_state()['requirements_met']['memcached'] ?? true;
    }

    public static function get_supported_modes(array $configuration = []) {
        return self::MODE_APPLICATION;
    }

    public function is_ready() {
        return $this->ready;
    }
}
