<?php
/**
 * On the posts engage handles: the theme's comments give way to the engage container, which
 * holds the server-rendered comments (GET /api/v1/thread.html) so that they are in the page's
 * HTML, and WordPress's own commenting is closed.
 *
 * @package engage-comments
 */

defined( 'ABSPATH' ) || exit;

// Classic themes: comments_template() loads the plugin's template instead of the theme's.
add_filter( 'comments_template', 'engage_comments_template', 20 );
// Block themes: the core/comments block is drawn as the container.
add_filter( 'render_block_core/comments', 'engage_comments_block', 20, 2 );
// Native commenting off where engage answers: no form, and wp-comments-post.php refuses.
add_filter( 'comments_open', 'engage_comments_closed', 20, 2 );
add_filter( 'pings_open', 'engage_comments_closed', 20, 2 );

/**
 * The plugin's comments template for the posts engage handles.
 *
 * @param string $template The theme's comments template.
 * @return string
 */
function engage_comments_template( $template ) {
	return engage_comments_handles() ? ENGAGE_COMMENTS_DIR . '/templates/comments.php' : $template;
}

/**
 * The container in place of the core/comments block.
 *
 * @param string $content The block's HTML.
 * @param array  $block   The block.
 * @return string
 */
function engage_comments_block( $content, $block ) {
	unset( $block );
	return engage_comments_handles() ? engage_comments_container( get_post() ) : $content;
}

/**
 * Closed to WordPress's own commenting where engage handles the post: wp-comments-post.php,
 * the REST API, XML-RPC and feeds see false. Only while the post's own page is drawn does it
 * answer true, because classic themes call comments_template() only when comments are open
 * or there are some (Twenty Twenty-One's single.php): engage's container must show on a post
 * with no comment yet. The theme's form never shows: the plugin's template replaces it.
 *
 * @param bool $open    Whether comments are open.
 * @param int  $post_id The post.
 * @return bool
 */
function engage_comments_closed( $open, $post_id ) {
	if ( ! engage_comments_handles( $post_id ) ) {
		return $open;
	}
	return ! is_admin() && ! is_feed() && is_singular() && get_queried_object_id() === (int) $post_id;
}

/**
 * The engage container for a post: the fragment of its comments inside, the script after;
 * for a logged-in user, the token that signs them in on engage (includes/sso.php).
 *
 * @param WP_Post $post The post.
 * @return string
 */
function engage_comments_container( $post ) {
	$article = engage_comments_article( $post );
	$token   = engage_comments_sso_token();
	$html    = '<div id="engage-thread" class="engage-comments"';
	$html   .= ' data-engage-article="' . esc_attr( $article ) . '"';
	$html   .= ' data-engage-title="' . esc_attr( wp_strip_all_tags( get_the_title( $post ) ) ) . '"';
	$html   .= ' data-engage-url="' . esc_url( get_permalink( $post ) ) . '"';
	if ( '' !== $token ) {
		$html .= ' data-engage-sso="' . esc_attr( $token ) . '"';
		// The page is now one user's. WordPress sends no-cache headers to logged-in users
		// already (WP::send_headers()), before the body this is drawn in, and page caches skip
		// them by their cookie; DONOTCACHEPAGE, which those plugins honour, covers one that
		// would cache them anyway.
		if ( ! defined( 'DONOTCACHEPAGE' ) ) {
			define( 'DONOTCACHEPAGE', true );
		}
	}
	$html .= '>';
	$html .= engage_comments_fragment( $article );
	$html .= '</div>';
	$html .= '<script src="' . esc_url( engage_comments_url() . '/embed.js' ) . '" data-engage-site="' . esc_attr( engage_comments_site_key() ) . '" async></script>';
	return $html;
}

/**
 * The thread's fragment, kept a minute in a transient; on an error, the last good copy.
 *
 * @param string $article The article id.
 * @return string
 */
function engage_comments_fragment( $article ) {
	$key    = 'engage_fragment_' . md5( engage_comments_url() . ' ' . engage_comments_site_key() . ' ' . $article );
	$cached = get_transient( $key );
	if ( false !== $cached ) {
		return (string) $cached;
	}
	$answer = engage_comments_get( '/api/v1/thread.html?' . engage_comments_query( array( $article ) ) );
	if ( ! is_wp_error( $answer ) && 200 === wp_remote_retrieve_response_code( $answer ) ) {
		// engage escapes names and sanitizes bodies already; filtered here again, to the
		// fragment's own elements, so that nothing between the two servers can add a script.
		$html = wp_kses( (string) wp_remote_retrieve_body( $answer ), engage_comments_fragment_html() );
		set_transient( $key, $html, MINUTE_IN_SECONDS );
		update_option( $key . '_stale', $html, false ); // Not autoloaded: read only on errors.
		return $html;
	}
	// engage is down or slow: the last copy, and the next try in a minute, not every view.
	$stale = (string) get_option( $key . '_stale', '' );
	set_transient( $key, $stale, MINUTE_IN_SECONDS );
	return $stale;
}

/**
 * The elements and attributes of GET /api/v1/thread.html, for wp_kses().
 *
 * @return array
 */
function engage_comments_fragment_html() {
	$item = array(
		'class'     => true,
		'id'        => true,
		'lang'      => true,
		'itemscope' => true,
		'itemtype'  => true,
		'itemprop'  => true,
	);
	$html = array();
	foreach ( array( 'section', 'h2', 'ol', 'ul', 'li', 'article', 'header', 'span', 'div', 'p', 'strong', 'em', 'code', 'pre', 'blockquote', 'br' ) as $tag ) {
		$html[ $tag ] = $item;
	}
	$html['section']['data-engage-static'] = true;
	$html['time']                          = $item + array( 'datetime' => true );
	$html['a']                             = array(
		'href'  => true,
		'rel'   => true,
		'title' => true,
	);
	return $html;
}
