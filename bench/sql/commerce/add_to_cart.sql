-- POST /api/v1/cart/items as the server runs it: authentication, then one transaction.
-- Variables: smin/smax (the bench users' session ids); the session picks the user.
\set sid random(:smin, :smax)
\set movie random(1, 100000)
SELECT u.id AS uid, u.email, u.is_active, u.group_id FROM users u JOIN sessions s ON s.user_id = u.id WHERE s.id = :sid AND s.revoked_at IS NULL AND s.expires_at > 0 \gset
BEGIN;
SELECT id FROM users WHERE id = :uid FOR NO KEY UPDATE;
SELECT m.id, m.uuid, m.name, m.year, m.time, m.imdb_tenths, m.votes, m.price_cents, m.certification_id AS cert FROM movies m WHERE m.id IN (:movie) \gset
SELECT * FROM (SELECT 0 AS grp, l.movie_id AS grp_key, t.id, t.name FROM movie_genres l JOIN genres t ON t.id = l.genre_id WHERE l.movie_id IN (:movie) UNION ALL SELECT 1, c.id, c.id, c.name FROM certifications c WHERE c.id IN (:cert)) u ORDER BY u.name, u.id;
SELECT 0 AS kind, movie_id, 0 AS order_id FROM ownerships WHERE user_id = :uid AND movie_id IN (:movie) UNION ALL SELECT 1, oi.movie_id, o.id FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE o.user_id = :uid AND o.status = 'pending' AND o.expires_at > 0 AND oi.movie_id IN (:movie) UNION ALL SELECT 2, movie_id, 0 FROM cart_items WHERE user_id = :uid AND movie_id IN (:movie);
INSERT INTO cart_items (user_id, movie_id, added_at) VALUES (:uid, :movie, 0) ON CONFLICT DO NOTHING;
COMMIT;
